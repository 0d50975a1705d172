import { createVitestConfig } from '@novacron/testing/vitest';

export default createVitestConfig();
