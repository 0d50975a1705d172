import { createVitestConfig } from '@novacron/testing/vitest';

// The end-to-end file starts a whole platform: one file at a time, like e2e/.
export default createVitestConfig({ testTimeout: 180_000, fileParallelism: false });
