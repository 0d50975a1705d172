// What one ANALYZE of an event log costs at Postgres's default statistics target (a 30,000-row
// sample) and at the lean targets of the vms migration 0007 (10 per column, 0 for the jsonb body:
// a 3,000-row sample). Two tables with the same rows, shaped like vms.operation_events (a jsonb
// snapshot of the operation per row), analysed in turns in the same run.
//   node bench/analyzeCost.ts [--rows 40000] [--rounds 7]
import { parseArgs } from 'node:util';
import { startBenchDatabase } from './src/startBenchDatabase.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '40000' }, rounds: { type: 'string', default: '7' } } });
const rows = Number(values.rows);
const rounds = Number(values.rounds);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node bench/analyzeCost.ts [--rows N ≥ 1000] [--rounds N ≥ 1]');
  process.exit(2);
}

const cleanups: (() => Promise<void>)[] = [];
try {
  const { sql } = await startBenchDatabase({ folderPrefix: 'novacron-analyze-cost-', database: 'analyze_cost', applicationName: 'novacron-bench', cleanups });
  await sql`alter system set autovacuum = off`;
  await sql`select pg_reload_conf()`;
  for (const table of ['events_default', 'events_lean']) {
    await sql.unsafe(`create table ${table} (
      seq bigserial primary key, txid xid8 not null default pg_current_xact_id(), tenant_id text not null,
      operation_id uuid not null, vm_id uuid not null, operation_version integer not null, status text not null,
      payload jsonb not null, created_at timestamp(3) with time zone not null default now())`);
  }
  console.log(`[analyze-cost] writing ${rows.toLocaleString('en-US')} rows into each table`);
  for (let start = 1; start <= rows; start += 5_000) {
    const end = Math.min(rows, start + 4_999);
    await sql`
      insert into events_default (tenant_id, operation_id, vm_id, operation_version, status, payload)
      select 'tenant-' || (g % 5), gen_random_uuid(), gen_random_uuid(), 1 + g % 4, (array['QUEUED', 'RUNNING', 'SUCCEEDED'])[1 + g % 3],
        jsonb_build_object('id', gen_random_uuid(), 'tenant_id', 'tenant-' || (g % 5), 'kind', 'CREATE', 'status', 'RUNNING',
          'progress', g % 100, 'vm_id', gen_random_uuid(),
          'input', jsonb_build_object('name', 'vm-' || g, 'provider', 'aws', 'region', 'us-east-1', 'instanceType', 't3.micro',
            'image', 'debian-12', 'labels', jsonb_build_object('team', 'a', 'env', 'bench')),
          'input_digest', md5(g::text), 'idempotency_key', md5(g::text || 'k'),
          'steps', jsonb_build_array(
            jsonb_build_object('name', 'reserve', 'status', 'DONE', 'startedAt', now(), 'finishedAt', now()),
            jsonb_build_object('name', 'launch', 'status', 'RUNNING', 'startedAt', now(), 'providerId', 'i-' || md5(g::text)),
            jsonb_build_object('name', 'wait', 'status', 'PENDING')),
          'attempts', 1, 'lease_owner', 'worker-1', 'lease_epoch', 1, 'lease_expires_at', now(), 'version', 2,
          'created_at', now(), 'updated_at', now(), 'trace_context', '00-' || md5(g::text) || '-01')
      from generate_series(${start}::int, ${end}::int) g`;
  }
  await sql`insert into events_lean select * from events_default`;
  // The lean targets, as migration 0007 sets them on vms.operation_events.
  for (const column of ['seq', 'txid', 'tenant_id', 'operation_id', 'vm_id', 'operation_version', 'status', 'created_at']) {
    await sql.unsafe(`alter table events_lean alter column ${column} set statistics 10`);
  }
  await sql`alter table events_lean alter column payload set statistics 0`;
  await sql`vacuum events_default, events_lean`;
  const [{ bytes } = { bytes: 0 }] = await sql<{ bytes: number }[]>`select avg(pg_column_size(payload))::int as bytes from events_default`;

  const times: Record<string, number[]> = { events_default: [], events_lean: [] };
  for (let round = 0; round < rounds; round += 1) {
    for (const table of ['events_default', 'events_lean']) {
      const started = performance.now();
      await sql.unsafe(`analyze ${table}`);
      times[table]!.push(performance.now() - started);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const full = median(times.events_default!);
  const lean = median(times.events_lean!);
  console.log(`\nANALYZE of a ${rows.toLocaleString('en-US')}-row event log (jsonb body ${bytes} bytes on average), median of ${rounds} rounds`);
  console.log(`  default targets (30,000-row sample)      ${full.toFixed(1)} ms`);
  console.log(`  lean targets, migration 0007 (3,000)     ${lean.toFixed(1)} ms`);
  console.log(`  ratio                                    ${(full / lean).toFixed(1)} ×`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
