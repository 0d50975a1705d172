import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { backgroundApplicationName, startSubgraph, type RequestPrincipal, type RunningSubgraph, type SubgraphRole } from '../src/index.ts';
import { outboxOnlyTypeDefs, testSubgraphConfig } from '../src/testConfig.ts';

// SUBGRAPH_ROLE: npm start's BACKGROUND_PROCESSES=1 runs a subgraph as a request process and a
// background process; each must do its part only.
let database: TestDatabase;
let keysDir: string;
const running: RunningSubgraph<object>[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  keysDir = await mkdtemp(join(tmpdir(), 'kit-role-keys-'));
});
afterAll(async () => {
  for (const subgraph of running) await subgraph.stop();
  await database?.drop();
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
});

/** Starts a subgraph in `role` on `port`, counting how often its background work is started. */
async function start(name: string, role: SubgraphRole, port: number): Promise<{ subgraph: RunningSubgraph<object>; backgroundStarts: () => number }> {
  let starts = 0;
  const subgraph = await startSubgraph<object, RequestPrincipal>({
    config: { ...testSubgraphConfig(name, database.url, keysDir), port, role },
    logger: createLogger(name, 'silent'),
    typeDefs: outboxOnlyTypeDefs,
    resolvers: { Query: { ping: () => 'pong' } },
    services: () => ({}),
    context: (request) => request,
    background: () => {
      starts += 1;
      return [];
    },
  });
  running.push(subgraph);
  return { subgraph, backgroundStarts: () => starts };
}

const applicationNameOf = async (subgraph: RunningSubgraph<object>) => {
  const [row] = await subgraph.kit.sql<{ name: string }[]>`select application_name as name from pg_stat_activity where pid = pg_backend_pid()`;
  return row?.name;
};

describe('SUBGRAPH_ROLE', () => {
  it('requests: answers on the subgraph port and starts no background work', async () => {
    const { subgraph, backgroundStarts } = await start('kitrolerequests', 'requests', 0);
    expect(backgroundStarts()).toBe(0);
    expect(await applicationNameOf(subgraph)).toBe('novacron-kitrolerequests');
    expect((await fetch(new URL('/health', subgraph.url))).status).toBe(200);
  });

  it('background: starts the background work, on a port of its own, every backend under the background name', async () => {
    // The subgraph's port is its request process's (taken here by one): the background process must not need it.
    const requests = await start('kitrolebackground', 'requests', 0);
    const { subgraph, backgroundStarts } = await start('kitrolebackground', 'background', requests.subgraph.port);
    expect(backgroundStarts()).toBe(1);
    expect(subgraph.port).not.toBe(requests.subgraph.port);
    expect((await fetch(new URL('/ready', subgraph.url))).status).toBe(200);
    // Both of its pools carry the background name, so lowering them never touches a request process's backends.
    expect(await applicationNameOf(subgraph)).toBe(backgroundApplicationName('kitrolebackground'));
    expect(await applicationNameOf(requests.subgraph)).toBe('novacron-kitrolebackground');
  });

  it('all (the default): answers requests and starts the background work, as a single process does', async () => {
    const { subgraph, backgroundStarts } = await start('kitroleall', 'all', 0);
    expect(backgroundStarts()).toBe(1);
    expect(await applicationNameOf(subgraph)).toBe('novacron-kitroleall');
  });
});
