import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { autogroupsEnabled, readAutogroup } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { backgroundApplicationName, startSubgraph, type RequestPrincipal, type RunningSubgraph } from '../src/index.ts';
import { outboxOnlyTypeDefs, testSubgraphConfig } from '../src/testConfig.ts';

// The test cluster is an embedded Postgres on this machine (run by this user, or as root by a
// `postgres` user root may renice): the case BACKGROUND_NICE is for.
const name = 'kitbackground';
let database: TestDatabase;
let keysDir: string;
let subgraph: RunningSubgraph<{ backgroundPid: () => Promise<number> }>;

beforeAll(async () => {
  database = await createTestDatabase();
  keysDir = await mkdtemp(join(tmpdir(), 'kit-background-keys-'));
  subgraph = await startSubgraph<{ backgroundPid: () => Promise<number> }, RequestPrincipal>({
    config: { ...testSubgraphConfig(name, database.url, keysDir), backgroundNice: 7 },
    logger: createLogger(name, 'silent'),
    typeDefs: outboxOnlyTypeDefs,
    resolvers: { Query: { ping: () => 'pong' } },
    services: (kit) => ({ backgroundPid: async () => (await kit.backgroundSql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid }),
    context: (request) => request,
    // The priority keeper runs for subgraphs with background work; this one's has none to stop.
    background: () => [],
  });
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
});

describe("a subgraph's background pool", () => {
  it('runs under its own application_name, its backends at BACKGROUND_NICE and the request pool left alone', async () => {
    const backgroundPid = await subgraph.services.backgroundPid();
    const [requestBackend] = await subgraph.kit.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const [activity] = await subgraph.kit.sql<{ application_name: string }[]>`
      select application_name from pg_stat_activity where pid = ${backgroundPid}`;
    const applicationName = activity?.application_name;
    expect(applicationName).toBe(backgroundApplicationName(name));
    expect(applicationName).toBe('novacron-kitbackground-background');
    // The priority keeper scans at start and every 2 s; the background backend may have connected after its first scan.
    await vi.waitFor(() => expect(getPriority(backgroundPid)).toBe(7), { timeout: 10_000, interval: 100 });
    expect(getPriority(requestBackend!.pid)).toBe(0);
    if (await autogroupsEnabled()) {
      expect(await readAutogroup(backgroundPid)).toMatchObject({ nice: 7 });
      expect(await readAutogroup(requestBackend!.pid)).toMatchObject({ nice: 0 });
    }
  });
});
