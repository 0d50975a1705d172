import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { kitTypeDefsPath, readSubgraphManifest } from '@novacron/subgraph-kit/manifest';

// Composition builds its schema with the CommonJS build of graphql-js; print it with that same build,
// or test runners that resolve graphql's ES module build refuse to mix the two.
const { printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** What composition produces: the supergraph the gateway plans with and the API schema clients see. */
export interface ComposedSchemas {
  supergraph: string;
  api: string;
}

/** Composes every listed subgraph, or throws with every composition error. */
export async function composeSupergraph(): Promise<ComposedSchemas> {
  const { subgraphs } = readSubgraphManifest();
  const kitTypeDefs = await readFile(kitTypeDefsPath, 'utf8');
  const services = await Promise.all(
    subgraphs.map(async (subgraph) => ({
      name: subgraph.name,
      url: subgraph.url,
      // Every subgraph serves the kit's part too (the `_eventFeed` contract, `@eventStream`).
      typeDefs: parse(`${await readFile(subgraph.schema, 'utf8')}\n${kitTypeDefs}`),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((error) => `- ${error.message}`).join('\n')}`);
  }
  const api = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return { supergraph: `${result.supergraphSdl.trimEnd()}\n`, api: `${api.trimEnd()}\n` };
}
