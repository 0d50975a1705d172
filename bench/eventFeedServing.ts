/**
 * Event feed serving benchmark: what one `_eventFeed` read costs the serving subgraph and its
 * PostgreSQL backends, in CPU (from /proc, so a busy machine inflates it less than latency). One kit
 * subgraph in its own process (`src/eventFeedServer.ts`) serves a stream of VM-sized events; the bench
 * posts the document `createFeedFetcher` sends, and the same document with a trailing newline (which
 * the kit's early answer does not recognise, so Apollo Server executes it), for three page shapes, and
 * the tail read by four readers at once (a signal wakes the gateway's tail and three followers).
 *
 *   node bench/eventFeedServing.ts [--reads 2000] [--events 3000]
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchDatabase } from './src/startBenchDatabase.ts';
import { processCpuSeconds } from './src/snapshotProcessCpu.ts';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '2000' }, events: { type: 'string', default: '3000' } } });
const reads = Number(values.reads);
const eventCount = Number(values.events);
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

// The text `createFeedFetcher` posts (@novacron/events' `eventFeedQuery`).
const feedDocument = `query NovaCronEventFeed($stream: String!, $after: String, $first: Int, $entityId: ID, $tenantId: String, $withPayload: Boolean) {
  _eventFeed(stream: $stream, after: $after, first: $first, entityId: $entityId, tenantId: $tenantId, withPayload: $withPayload) {
    endCursor
    heldBack
    entries { cursor tenantId entityId keys version type terminal occurredAt payload }
  }
}`;
const cursorOf = (txid: string, seq: number | string) => Buffer.from(`ev1|feedbench.note|${txid}|${seq}`).toString('base64url');

const cleanups: (() => Promise<void>)[] = [];
try {
  const database = await startBenchDatabase({ folderPrefix: 'novacron-bench-feed-', database: 'bench_feed', applicationName: 'novacron-bench', cleanups });
  const { sql } = database;
  await sql.unsafe(`
    create schema feedbench;
    create table feedbench.note_events (
      seq bigserial primary key, txid xid8 not null default pg_current_xact_id(), tenant_id text not null, entity_id text not null,
      keys text[] not null, version integer not null, type text not null, payload jsonb not null, created_at timestamptz(3) not null default now());
    create index on feedbench.note_events (txid, seq);
    create index on feedbench.note_events (entity_id, version);
    create table feedbench.event_retention (stream text primary key, pruned_through_txid xid8 not null, pruned_through_seq bigint not null, updated_at timestamptz(3) not null default now());`);
  // One event per transaction, as VM changes commit; the payload is a VM row's size.
  for (let index = 0; index < eventCount; index += 1) {
    const id = `00000000-0000-4000-8000-${String(index % 200).padStart(12, '0')}`;
    await sql`insert into feedbench.note_events (tenant_id, entity_id, keys, version, type, payload)
              values ('default', ${id}, ${[id]}, ${index + 1}, 'STATE_CHANGED', ${sql.json({ id, tenantId: 'default', name: `vm-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12', status: index % 2 ? 'RUNNING' : 'STOPPED', providerId: `i-${index}`, privateIp: '10.0.0.1', publicIp: null, labels: { team: 'bench' }, version: index + 1, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() })})`;
  }
  await sql`analyze feedbench.note_events`;
  const rows = await sql<{ tx: string; sq: string }[]>`select txid::text as tx, seq::text as sq from feedbench.note_events order by txid, seq`;
  const at = (fromEnd: number) => cursorOf(rows[rows.length - fromEnd]!.tx, rows[rows.length - fromEnd]!.sq);

  const server = fork(new URL('./src/eventFeedServer.ts', import.meta.url), [database.databaseUrl, join(database.folder, 'keys')], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  cleanups.push(async () => {
    server.send('stop');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  });
  const next = <T>(key: string) => new Promise<T>((resolve) => server.on('message', function onMessage(message: Record<string, unknown>) {
    if (key in message) {
      server.off('message', onMessage);
      resolve(message[key] as T);
    }
  }));
  const url = await next<string>('url');
  const token = async () => {
    const answer = next<string>('token');
    server.send('token');
    return answer;
  };
  log(`serving ${eventCount} events at ${url}`);
  const backends = async () => (await sql<{ pid: number }[]>`select pid from pg_stat_activity where application_name = 'novacron-feedbench'`).map((row) => row.pid);
  const serverPid = server.pid ?? 0;

  const post = async (document: string, variables: Record<string, unknown>, headers: Record<string, string>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: document, variables }) });
    const body = (await response.json()) as { data?: { _eventFeed: { entries: unknown[] } }; errors?: unknown[] };
    if (!body.data) throw new Error(`feed read failed: ${JSON.stringify(body.errors)}`);
    return body.data._eventFeed.entries.length;
  };

  const shapes: { name: string; variables: Record<string, unknown>; entries: number }[] = [
    { name: 'tail: 1 new entry, with payload', variables: { stream: 'note', after: at(2), first: 500, withPayload: true }, entries: 1 },
    { name: 'nothing new', variables: { stream: 'note', after: at(1), first: 500, withPayload: true }, entries: 0 },
    { name: 'full page: 500 entries, with payload', variables: { stream: 'note', after: at(1001), first: 500, withPayload: true }, entries: 500 },
  ];
  const paths = [
    { name: 'as fetchEventFeed posts it', document: feedDocument },
    { name: 'another text (Apollo Server)', document: `${feedDocument}\n` },
  ];
  const results: { path: string; shape: string; readers: number; reads: number; serverMs: number; postgresMs: number; readsPerSecond: number }[] = [];
  const measure = async (path: (typeof paths)[number], shape: (typeof shapes)[number], readers: number, count: number) => {
    const headers = { 'x-novacron-internal-token': await token() };
    for (let round = 0; round < 50 / readers; round += 1) await Promise.all(Array.from({ length: readers }, () => post(path.document, shape.variables, headers)));
    // Backends the pool opens during the run count from zero.
    const before = { server: processCpuSeconds(serverPid), postgres: new Map((await backends()).map((pid) => [pid, processCpuSeconds(pid)])) };
    const started = performance.now();
    for (let round = 0; round < count / readers; round += 1) {
      const counts = await Promise.all(Array.from({ length: readers }, () => post(path.document, shape.variables, headers)));
      if (counts.some((entries) => entries !== shape.entries)) throw new Error(`${shape.name}: expected ${shape.entries} entries, got ${counts.join(', ')}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const serverSeconds = processCpuSeconds(serverPid) - before.server;
    const postgresSeconds = (await backends()).reduce((sum, pid) => sum + processCpuSeconds(pid) - (before.postgres.get(pid) ?? 0), 0);
    const result = { path: path.name, shape: shape.name, readers, reads: count, serverMs: (serverSeconds * 1000) / count, postgresMs: (postgresSeconds * 1000) / count, readsPerSecond: count / seconds };
    results.push(result);
    log(`${result.path}, ${result.shape}, ${readers} reader(s): server ${result.serverMs.toFixed(3)} ms + Postgres ${result.postgresMs.toFixed(3)} ms per read, ${result.readsPerSecond.toFixed(0)} reads/s`);
  };
  for (const shape of shapes) for (const path of paths) await measure(path, shape, 1, shape.entries >= 500 ? Math.ceil(reads / 10) : reads);
  for (const path of paths) await measure(path, shapes[0]!, 4, reads);

  process.stdout.write('\n| Read | Path | Readers | Reads | Subgraph CPU ms/read | Its Postgres CPU ms/read | Total ms/read | Reads/s |\n|---|---|---:|---:|---:|---:|---:|---:|\n');
  for (const row of results) {
    process.stdout.write(`| ${row.shape} | ${row.path} | ${row.readers} | ${row.reads} | ${row.serverMs.toFixed(3)} | ${row.postgresMs.toFixed(3)} | ${(row.serverMs + row.postgresMs).toFixed(3)} | ${row.readsPerSecond.toFixed(0)} |\n`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
}
