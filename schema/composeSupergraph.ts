import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

// Composition builds its schema with the CommonJS build of graphql-js; print it with that same build,
// or test runners that resolve graphql's ES module build refuse to mix the two.
const { printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** One entry of schema/subgraphs.json. */
export interface SubgraphEntry {
  name: string;
  url: string;
  /** Path of the SDL file, relative to schema/. */
  schema: string;
}

/** Reads schema/subgraphs.json. */
export async function readSubgraphList(): Promise<SubgraphEntry[]> {
  const config = JSON.parse(await readFile(new URL('./subgraphs.json', import.meta.url), 'utf8')) as { subgraphs: SubgraphEntry[] };
  return config.subgraphs;
}

/** What composition produces: the supergraph the gateway plans with and the API schema clients see. */
export interface ComposedSchemas {
  supergraph: string;
  api: string;
}

/** Composes every listed subgraph, or throws with every composition error. */
export async function composeSupergraph(): Promise<ComposedSchemas> {
  const subgraphs = await readSubgraphList();
  const services = await Promise.all(
    subgraphs.map(async (subgraph) => ({
      name: subgraph.name,
      url: subgraph.url,
      typeDefs: parse(await readFile(new URL(subgraph.schema, import.meta.url), 'utf8')),
    })),
  );
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((error) => `- ${error.message}`).join('\n')}`);
  }
  const api = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return { supergraph: `${result.supergraphSdl.trimEnd()}\n`, api: `${api.trimEnd()}\n` };
}
