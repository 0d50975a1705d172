/**
 * The platform kit's acceptance test: a throw-away subgraph (SDL, one resolver module, one stream;
 * e2e/fixtures/notes-subgraph) is added through the kit and a subgraph manifest alone — nothing in the
 * gateway, npm start or the harness knows it — composed, and served through the gateway: a federated
 * query across it and vms, and a subscription on its own stream whose payload selects vms fields.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, waitForOperation } from '@novacron/sdk';
import { readSubgraphManifest } from '@novacron/subgraph-kit';
import { waitFor } from '@novacron/testing';
import { composeSupergraph } from '@novacron/schema';
import { collect, createVmInput, postGraphQL, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

const fixture = fileURLToPath(new URL('../fixtures/notes-subgraph/src/', import.meta.url));
let platform: Platform;
let folder: string;
const previousManifest = process.env.NOVACRON_SUBGRAPHS_FILE;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'novacron-kit-'));
  const committed = readSubgraphManifest();
  const manifest = {
    subgraphs: [
      ...JSON.parse(await readFile(committed.file, 'utf8')).subgraphs.map((entry: Record<string, unknown>) => {
        const resolved = committed.subgraphs.find((subgraph) => subgraph.name === entry.name);
        return { ...entry, schema: resolved?.schema, entry: resolved?.entry, processes: resolved?.processes };
      }),
      { name: 'notes', url: 'http://localhost:4999/graphql', schema: join(fixture, 'schema.graphql'), entry: join(fixture, 'index.ts') },
    ],
  };
  await writeFile(join(folder, 'subgraphs.json'), JSON.stringify(manifest));
  process.env.NOVACRON_SUBGRAPHS_FILE = join(folder, 'subgraphs.json');
  const composed = await composeSupergraph();
  await writeFile(join(folder, 'supergraph.graphql'), composed.supergraph);
  platform = await startPlatform({ simLatencyMs: '10-20', gatewayEnv: { SUPERGRAPH_PATH: join(folder, 'supergraph.graphql') } });
});
afterAll(async () => {
  await platform?.stop();
  if (previousManifest === undefined) delete process.env.NOVACRON_SUBGRAPHS_FILE;
  else process.env.NOVACRON_SUBGRAPHS_FILE = previousManifest;
  if (folder) await rm(folder, { recursive: true, force: true });
});

const NotesOfVm = parse('subscription ($vmId: ID) { notes(vmId: $vmId) { text vm { id name note } } }') as TypedDocumentNode<
  { notes: { text: string; vm: { id: string; name: string; note: string | null } } },
  { vmId?: string }
>;

describe('a subgraph added through the kit and the manifest alone', () => {
  it('is started by the harness and composed into the supergraph with its stream', async () => {
    // Every subgraph of the committed manifest (vms first), then the fixture: the manifest this test wrote.
    expect(Object.keys(platform.subgraphs)).toEqual(readSubgraphManifest().subgraphs.map((entry) => entry.name));
    expect(Object.keys(platform.subgraphs)[0]).toBe('vms');
    expect(Object.keys(platform.subgraphs).at(-1)).toBe('notes');
    const supergraph = await readFile(join(folder, 'supergraph.graphql'), 'utf8');
    expect(supergraph).toMatch(/notes\(vmId: ID\): Note! @join__field\(graph: NOTES\) @eventStream\(name: "note", payload: "noteAt", routeBy: "vmId"\)/);
  });

  it('serves a federated query and mutation across it and vms through the gateway', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const vmId = createVM.vm?.id as string;
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    const written = await postGraphQL(platform.gateway.url, { query: 'mutation ($vmId: ID!) { writeNote(vmId: $vmId, text: "patched") { text vm { id status } } }', variables: { vmId } }, { token: platform.token });
    expect(written.body?.data).toEqual({ writeNote: { text: 'patched', vm: { id: vmId, status: 'RUNNING' } } });
    const read = await postGraphQL(platform.gateway.url, { query: 'query ($id: ID!) { vm(id: $id) { name note } }', variables: { id: vmId } }, { token: platform.token });
    expect(read.body?.data).toEqual({ vm: { name: createVM.vm?.name, note: 'patched' } });
  });

  it("delivers its stream over graphql-ws, routed by the subgraph's declaration, with other subgraphs' fields in the payload", async () => {
    const [first, second] = await Promise.all([1, 2].map(() => platform.client.request(CreateVmDocument, { input: createVmInput() })));
    const vmId = first?.createVM.vm?.id as string;
    const otherId = second?.createVM.vm?.id as string;
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const notes = collect(client, NotesOfVm, { vmId });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers === 1);
    for (const [id, text] of [
      [otherId, 'not for this subscriber'],
      [vmId, 'first'],
      [vmId, 'second'],
    ] as const) {
      const response = await postGraphQL(platform.gateway.url, { query: 'mutation ($vmId: ID!, $text: String!) { writeNote(vmId: $vmId, text: $text) { text } }', variables: { vmId: id, text } }, { token: platform.token });
      expect(response.body?.errors).toBeUndefined();
    }
    await notes.waitFor((results) => results.length >= 2);
    expect(notes.results.map((result) => result.data?.notes.text)).toEqual(['first', 'second']);
    expect(notes.results[1]?.data?.notes.vm).toEqual({ id: vmId, name: first?.createVM.vm?.name, note: 'second' });
    notes.stop();
    await client.dispose();
  });

  it("delivers a tenant's notes to its own subscribers only: a subscriber of tenant bravo receives none of default's", async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const bravo = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'bravo', role: 'viewer' }) });
    const own = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const foreign = collect(bravo, NotesOfVm, {});
    const mine = collect(own, NotesOfVm, {});
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers === 2);
    await postGraphQL(platform.gateway.url, { query: 'mutation ($vmId: ID!) { writeNote(vmId: $vmId, text: "private") { text } }', variables: { vmId: createVM.vm?.id } }, { token: platform.token });
    await mine.waitFor((results) => results.length === 1);
    expect(foreign.results).toEqual([]);
    for (const subscription of [foreign, mine]) subscription.stop();
    await Promise.all([bravo.dispose(), own.dispose()]);
  });
});
