import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, waitForOperation } from '@novacron/sdk';
import { createLogger, type Logger } from '@novacron/server-kit';
import { envPrefix, readSubgraphManifest, type RunningSubgraph } from '@novacron/subgraph-kit';
import { createVmInput, postGraphQL, startPlatform, type Platform } from '../src/index.ts';

// A real subgraph (placement) stopped and restarted under a running gateway: queries touching it get
// partial data with UNAVAILABLE naming it, its circuit opens so they stop waiting on it, queries
// not touching it are unaffected, and the circuit closes by itself once placement is back.

const dashboard = `{ vms(first: 10) { edges { node { id name status placement { id reason } } } } }`;
const vmsOnly = `{ vms(first: 10) { edges { node { id name status } } } }`;

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ gatewayEnv: { SUBGRAPH_BREAKER_FAILURES: '3', SUBGRAPH_BREAKER_HALF_OPEN_MS: '500' } });
  const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
  await waitForOperation(platform.client, createVM.id);
});
afterAll(async () => {
  await platform?.stop();
});

function circuit(name: string) {
  return (platform.gateway.stats().subgraphCircuits as Record<string, { state: string; opened: number; refused: number }>)[name];
}

/** Starts a subgraph of the manifest again in this process, on the port it had, as startPlatform does. */
async function restartSubgraph(name: string, port: number): Promise<RunningSubgraph<unknown>> {
  const entry = readSubgraphManifest().subgraphs.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no subgraph ${name}`);
  const folder = dirname(entry.entry);
  const { loadConfig } = (await import(pathToFileURL(`${folder}/config.ts`).href)) as { loadConfig: () => unknown };
  const { start } = (await import(pathToFileURL(`${folder}/server.ts`).href)) as { start: (config: unknown, logger: Logger) => Promise<RunningSubgraph<unknown>> };
  const variables = { ...platform.workerEnv, [`${envPrefix(name)}_PORT`]: String(port) };
  const previous = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  try {
    return await start(loadConfig(), createLogger('e2e', 'warn'));
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

type Edges = { edges: { node: { id: string; name: string; status: string; placement?: { id: string } | null } }[] };

describe('a subgraph going down and coming back', () => {
  it('answers partial data with UNAVAILABLE for its fields, opens its circuit, and closes it when the subgraph is back', async () => {
    const healthy = await postGraphQL(platform.gateway.url, { query: dashboard }, { token: platform.token });
    expect(healthy.body?.errors).toBeUndefined();
    expect(circuit('placement')?.state).toBe('closed');

    const placement = platform.subgraphs.placement;
    if (!placement) throw new Error('the platform has no placement subgraph');
    await placement.stop();

    // Down: the VMs still come back, placement's field is null with an error naming the service.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const partial = await postGraphQL(platform.gateway.url, { query: dashboard }, { token: platform.token });
      const vms = partial.body?.data?.vms as Edges;
      expect(vms.edges.length).toBeGreaterThan(0);
      expect(vms.edges[0]?.node.status).toBeTypeOf('string');
      expect(vms.edges[0]?.node.placement).toBeNull();
      expect(partial.body?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'placement', reason: 'SUBGRAPH_UNREACHABLE' });
    }
    expect(circuit('placement')).toMatchObject({ state: 'open', opened: 1 });

    const refused = await postGraphQL(platform.gateway.url, { query: dashboard }, { token: platform.token });
    expect((refused.body?.data?.vms as Edges).edges.length).toBeGreaterThan(0);
    expect(refused.body?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'placement', reason: 'CIRCUIT_OPEN' });

    // Queries that do not touch placement are unaffected.
    const untouched = await postGraphQL(platform.gateway.url, { query: vmsOnly }, { token: platform.token });
    expect(untouched.body?.errors).toBeUndefined();
    expect(circuit('vms')?.state).toBe('closed');

    platform.subgraphs.placement = await restartSubgraph('placement', placement.port);
    for (;;) {
      const answer = await postGraphQL(platform.gateway.url, { query: dashboard }, { token: platform.token });
      if (!answer.body?.errors) break;
      expect(answer.body.errors[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'placement' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(circuit('placement')?.state).toBe('closed');
  });
});
