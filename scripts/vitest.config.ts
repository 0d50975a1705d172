import { defineConfig } from 'vitest/config';

/** The repository-level tests (`npm run test:root`): checks over every workspace, no servers. */
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['tests/**/*.test.ts'],
    // The JSON report feeds the one-line total `npm test` prints at the end (testSummary.ts).
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
