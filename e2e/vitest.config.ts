import { createVitestConfig } from '@novacron/testing/vitest';

// One platform at a time: each file starts real servers and workers, and two cores are shared.
export default createVitestConfig({ testTimeout: 180_000, fileParallelism: false });
