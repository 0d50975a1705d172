import { createVitestConfig } from '@novacron/testing/vitest';

export default createVitestConfig({ testTimeout: 60_000 });
