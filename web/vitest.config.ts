import { createVitestConfig } from '@novacron/testing/vitest';

// One platform and one browser at a time: the machine's two cores are shared.
export default createVitestConfig({ testTimeout: 180_000, fileParallelism: false });
