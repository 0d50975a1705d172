import { createVitestConfig } from '@novacron/testing/vitest';

export default createVitestConfig({ globalSetup: false });
