import { createVitestConfig } from '@novacron/testing/vitest';

// The chaos scenarios start their own PostgreSQL and platform; no shared test database.
export default createVitestConfig({ testTimeout: 600_000, globalSetup: false, fileParallelism: false });
