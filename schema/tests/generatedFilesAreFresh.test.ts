import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.ts';
import { kitTypeDefsPath, readSubgraphManifest } from '@novacron/subgraph-kit/manifest';
import { composeSupergraph } from '../composeSupergraph.ts';

const schemaFolder = new URL('../', import.meta.url);

describe('committed schema artifacts', () => {
  it('composes every listed subgraph without errors', async () => {
    const { subgraphs } = readSubgraphManifest();
    expect(subgraphs.map((subgraph) => subgraph.name)).toContain('vms');
    await expect(composeSupergraph()).resolves.toMatchObject({ supergraph: expect.stringContaining('join__Graph') });
  });

  it('has a supergraph.graphql and api.graphql identical to a fresh composition (run `npm run compose`)', async () => {
    const composed = await composeSupergraph();
    expect(await readFile(new URL('supergraph.graphql', schemaFolder), 'utf8')).toBe(composed.supergraph);
    expect(await readFile(new URL('api.graphql', schemaFolder), 'utf8')).toBe(composed.api);
  });

  it('has generated resolver types and SDK identical to a fresh codegen run (run `npm run codegen`)', async () => {
    const outputs = await generate({ ...codegenConfig, silent: true }, false);
    expect(outputs.length).toBeGreaterThanOrEqual(2);
    for (const output of outputs) {
      const committed = await readFile(output.filename, 'utf8').catch(() => '<missing>');
      expect(committed, `${output.filename} is stale`).toBe(output.content);
    }
  });
});

describe('composition', () => {
  it('rejects a subgraph that breaks composition, naming the problem', async () => {
    const { composeServices } = await import('@apollo/composition');
    const { parse } = await import('graphql');
    const vmsSdl = `${await readFile(fileURLToPath(new URL('../subgraphs/vms/src/schema.graphql', schemaFolder)), 'utf8')}\n${await readFile(kitTypeDefsPath, 'utf8')}`;
    const conflicting = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
      type VM @key(fields: "id") { id: ID! name: Int! }
    `);
    const result = composeServices([
      { name: 'vms', url: 'http://vms', typeDefs: parse(vmsSdl) },
      { name: 'broken', url: 'http://broken', typeDefs: conflicting },
    ]);
    expect(result.errors?.map((error) => error.message).join('\n')).toMatch(/VM\.name/);
  });
});
