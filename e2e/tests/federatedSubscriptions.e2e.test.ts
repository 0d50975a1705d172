import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, StopVmDocument, waitForOperation } from '@novacron/sdk';
import { kitTypeDefsPath } from '@novacron/subgraph-kit/manifest';
import { collect, createVmInput, spawnGateway, startPlatform, streamHead, subscriptionsClient, type GatewayProcess, type Platform } from '../src/index.ts';

// A second subgraph, for this test only, that contributes a field to VM: proof that a subscription's
// payload is resolved across subgraphs by the gateway's query planner, exactly as a query is.
const fixtureTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type VM @key(fields: "id") {
    id: ID!
    "Resolved by the fixture subgraph, not by vms."
    badge: String!
  }
`);
const badgeOf = (id: string) => `badge-${id.slice(0, 8)}`;

let platform: Platform;
let fixture: ApolloServer;
let fixtureUrl: string;
let gateway: GatewayProcess;
let folder: string;

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '10-20' });
  fixture = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: fixtureTypeDefs, resolvers: { VM: { __resolveReference: (vm: { id: string }) => ({ id: vm.id, badge: badgeOf(vm.id) }) } } }),
  });
  ({ url: fixtureUrl } = await startStandaloneServer(fixture, { listen: { port: 0, host: '127.0.0.1' } }));
  const vmsSdl = `${await readFile(fileURLToPath(import.meta.resolve('@novacron/vms').replace(/server\.ts$/, 'schema.graphql')), 'utf8')}\n${await readFile(kitTypeDefsPath, 'utf8')}`;
  const composed = composeServices([
    { name: 'vms', url: platform.vms.url, typeDefs: parse(vmsSdl) },
    { name: 'badges', url: fixtureUrl, typeDefs: fixtureTypeDefs },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  folder = await mkdtemp(join(tmpdir(), 'novacron-supergraph-'));
  await writeFile(join(folder, 'supergraph.graphql'), composed.supergraphSdl);
  gateway = await spawnGateway({ SUPERGRAPH_PATH: join(folder, 'supergraph.graphql'), VMS_URL: platform.vms.url, DATABASE_URL: platform.database.url, NOVACRON_KEYS_DIR: platform.keysDir });
});
afterAll(async () => {
  await gateway?.stop();
  await fixture?.stop();
  await platform?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const BadgedEvents = parse('subscription ($id: ID!, $after: String) { vmEvents(filter: { ids: [$id] }, after: $after) { version vm { id status badge } } }') as TypedDocumentNode<
  { vmEvents: { version: number; vm: { id: string; status: string; badge: string } } },
  { id: string; after: string }
>;

describe('federated subscription payloads', () => {
  it('resolves fields of another subgraph in every event, as a query would', async () => {
    // The race this test once lost: it created the VM, subscribed live-only and waited for the
    // gateway to count one subscriber. Under load the worker could finish the create (RUNNING)
    // before the new gateway process read the stream's head for the first subscriber, so RUNNING
    // was never delivered. Subscribing after a cursor taken before the create replays whatever the
    // subscription was too late for: no timing assumption is left.
    const head = await streamHead(platform, 'vm');
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const vmId = createVM.vm?.id ?? '';
    const client = subscriptionsClient(gateway.url, { token: platform.token });
    const events = collect(client, BadgedEvents, { id: vmId, after: head });
    const { createVM: other } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    const { stopVM } = await platform.client.request(StopVmDocument, { id: vmId });
    await waitForOperation(platform.client, stopVM.id, { intervalMs: 20 });
    await waitForOperation(platform.client, other.id, { intervalMs: 20 });
    await events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.status === 'STOPPED'));
    for (const result of events.results) {
      expect(result.errors).toBeUndefined();
      expect(result.data?.vmEvents.vm).toMatchObject({ id: vmId, badge: badgeOf(vmId) });
    }
    const query = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.token}` },
      body: JSON.stringify({ query: 'query ($id: ID!) { vm(id: $id) { badge } }', variables: { id: vmId } }),
    });
    expect(await query.json()).toEqual({ data: { vm: { badge: badgeOf(vmId) } } });
    events.stop();
    await client.dispose();
  });
});
