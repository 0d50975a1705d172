import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * The vitest configuration every NovaCron package uses: the shared Postgres global setup, generous
 * hook timeouts for starting real servers, and one copy of graphql-js. Node loads graphql's CommonJS
 * build for Apollo and graphql-ws; without the alias, vitest would hand our own sources the ES module
 * build, and graphql-js refuses schemas and types that cross the two ("another module or realm").
 */
export function createVitestConfig(options: { testTimeout?: number; globalSetup?: boolean; fileParallelism?: boolean } = {}): ViteUserConfig {
  return defineConfig({
    resolve: {
      alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    },
    test: {
      globalSetup: options.globalSetup === false ? [] : [fileURLToPath(new URL('./globalSetup.ts', import.meta.url))],
      testTimeout: options.testTimeout ?? 60_000,
      fileParallelism: options.fileParallelism ?? true,
      // The JSON report feeds the one-line total `npm test` prints at the end (scripts/testSummary.ts).
      reporters: ['default', 'json'],
      outputFile: { json: '.test-results/vitest.json' },
      hookTimeout: 120_000,
    },
  });
}
