import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: [fileURLToPath(import.meta.resolve('@novacron/testing/globalSetup'))],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
