// What one ANALYZE of vms.operation_events costs at the statistics targets migration 0007 gives it
// (10 per column, 0 for the jsonb body: a 3,000-row sample) and at Postgres's default (a 30,000-row
// sample): the vms migrations applied to a bench database, the same rows in the migrated table and in
// a copy of it at the default targets, analysed in turns in the same run.
//   node bench/analyzeCost.ts [--rows 40000] [--rounds 7]
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate } from '@novacron/db';
import { startBenchDatabase } from './src/startBenchDatabase.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '40000' }, rounds: { type: 'string', default: '7' } } });
const rows = Number(values.rows);
const rounds = Number(values.rounds);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node bench/analyzeCost.ts [--rows N ≥ 1000] [--rounds N ≥ 1]');
  process.exit(2);
}
const vmsMigrations = fileURLToPath(new URL('../subgraphs/vms/drizzle', import.meta.url));
const lean = 'vms.operation_events';
const full = 'operation_events_default';

const cleanups: (() => Promise<void>)[] = [];
try {
  const { sql, databaseUrl } = await startBenchDatabase({ folderPrefix: 'novacron-analyze-cost-', database: 'analyze_cost', applicationName: 'novacron-bench', cleanups });
  await sql`alter system set autovacuum = off`;
  await sql`select pg_reload_conf()`;
  await migrate(databaseUrl, { migrationsFolder: vmsMigrations, schema: 'vms' });
  // CREATE TABLE … LIKE copies columns and defaults, not statistics targets: the copy has Postgres's default.
  await sql.unsafe(`create table ${full} (like ${lean} including defaults)`);
  console.log(`[analyze-cost] writing ${rows.toLocaleString('en-US')} rows into ${lean} and its copy`);
  for (let start = 1; start <= rows; start += 5_000) {
    const end = Math.min(rows, start + 4_999);
    await sql`
      insert into vms.operation_events (tenant_id, operation_id, vm_id, operation_version, status, payload)
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
  await sql.unsafe(`insert into ${full} select * from ${lean}`);
  const targets = await sql<{ table: string; column: string; target: number | null }[]>`
    select attrelid::regclass::text as table, attname as column, attstattarget::int as target from pg_attribute
    where attrelid in (${lean}::regclass, ${full}::regclass) and attnum > 0 and not attisdropped`;
  const describe = (table: string) =>
    targets.filter((row) => row.table === table).map((row) => `${row.column} ${row.target ?? 'default'}`).join(', ');
  console.log(`[analyze-cost] targets of ${lean}: ${describe(lean)}`);
  console.log(`[analyze-cost] targets of ${full}: ${describe(full)}`);
  await sql.unsafe(`vacuum ${lean}, ${full}`);
  const [{ bytes } = { bytes: 0 }] = await sql<{ bytes: number }[]>`select avg(pg_column_size(payload))::int as bytes from vms.operation_events`;

  const times: Record<string, number[]> = { [full]: [], [lean]: [] };
  for (let round = 0; round < rounds; round += 1) {
    for (const table of [full, lean]) {
      const started = performance.now();
      await sql.unsafe(`analyze ${table}`);
      times[table]!.push(performance.now() - started);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const fullMs = median(times[full]!);
  const leanMs = median(times[lean]!);
  console.log(`\nANALYZE of ${rows.toLocaleString('en-US')} operation events (jsonb body ${bytes} bytes on average), median of ${rounds} rounds`);
  console.log(`  default targets (30,000-row sample)      ${fullMs.toFixed(1)} ms`);
  console.log(`  migration 0007's targets (3,000)         ${leanMs.toFixed(1)} ms`);
  console.log(`  ratio                                    ${(fullMs / leanMs).toFixed(1)} ×`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
