/**
 * Composes the subgraphs listed in subgraphs.json into the committed supergraph.graphql with
 * @apollo/composition. `--check` fails (exit 1) when composition fails or the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { composeSupergraph } from './composeSupergraph.ts';

const outputs = { supergraph: 'supergraph.graphql', api: 'api.graphql' } as const;
const check = process.argv.includes('--check');

try {
  const composed = await composeSupergraph();
  for (const [kind, file] of Object.entries(outputs) as [keyof typeof outputs, string][]) {
    const path = new URL(`./${file}`, import.meta.url);
    if (check) {
      const committed = await readFile(path, 'utf8').catch(() => '');
      if (committed !== composed[kind]) {
        console.error(`schema/${file} is stale: run \`npm run compose\` and commit the result.`);
        process.exit(1);
      }
      console.log(`schema/${file} is up to date.`);
    } else {
      await writeFile(path, composed[kind]);
      console.log(`Wrote schema/${file}`);
    }
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
