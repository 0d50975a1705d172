/**
 * R2: PostgreSQL crashes (`-m immediate`) and comes back while clients create VMs. Clients retry a
 * failed createVM with the same idempotency key, as a careful client does. Afterwards: every
 * acknowledged mutation is in the database (none lost), no key made two operations, the platform
 * recovered without anyone restarting it, and every operation reached a terminal state.
 */
import { performance } from 'node:perf_hooks';
import type { ChaosOptions, ChaosResult } from './ChaosScenario.ts';
import { sendGraphQL, tally } from './sendGraphQL.ts';
import { startChaosPlatform } from './startChaosPlatform.ts';

const createMutation = `mutation ($input: CreateVMInput!, $key: String) { createVM(input: $input, idempotencyKey: $key) { id } }`;

/** Runs R2 and reports its figures. */
export async function run(options: ChaosOptions): Promise<ChaosResult> {
  const clients = options.short ? 8 : 30;
  const mutations = options.short ? 150 : 1_000;
  const downtimeMs = options.short ? 2_000 : 5_000;
  const platform = await startChaosPlatform({ env: { SIM_LATENCY_MS: '50-200', WORKER_CONCURRENCY: '20' }, log: options.log });
  try {
    const run = `r2-${Date.now().toString(36)}`;
    const acknowledged = new Map<string, string>();
    const failures: string[] = [];
    let next = 0;
    let firstAckAfterRestart: number | null = null;
    let restartedAt: number | null = null;
    let crashed = false;
    const started = performance.now();
    const deadline = started + (options.short ? 180_000 : 600_000);

    const client = async () => {
      while (next < mutations && performance.now() < deadline) {
        const index = next++;
        const key = `${run}-${index}`;
        const input = { name: `r2-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04', labels: { chaos: run } };
        // Retried with the same key until acknowledged: the key makes the retry safe.
        for (;;) {
          const answer = await sendGraphQL(platform.gatewayUrl, platform.token, createMutation, { input, key });
          const id = (answer.data?.createVM as { id?: string } | null)?.id;
          if (id && !answer.failure) {
            acknowledged.set(key, id);
            if (restartedAt !== null && firstAckAfterRestart === null) firstAckAfterRestart = performance.now();
            break;
          }
          failures.push(answer.failure ?? 'no data');
          // A platform that stopped (the supervisor takes everything down when one process dies) will not come back.
          if (performance.now() > deadline || !platform.supervisorAlive()) return;
          await new Promise((done) => setTimeout(done, 200));
        }
      }
    };
    const load = Promise.all(Array.from({ length: clients }, client));

    // The crash lands in the middle of the load.
    while (acknowledged.size < mutations / 3 && performance.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    options.log(`R2: ${acknowledged.size} acknowledged; crashing PostgreSQL (immediate stop)`);
    const crashAt = performance.now();
    await platform.crashPostgres();
    crashed = true;
    await new Promise((done) => setTimeout(done, downtimeMs));
    await platform.restartPostgres();
    restartedAt = performance.now();
    options.log(`R2: PostgreSQL restarted after ${Math.round(restartedAt - crashAt)} ms down`);
    await load;
    const loadSeconds = (performance.now() - started) / 1000;

    // Every operation must end; give them a bounded time after the load.
    const drainDeadline = performance.now() + (options.short ? 120_000 : 300_000);
    let statusCounts: Record<string, number> = {};
    for (;;) {
      const rows = await platform.sql<{ status: string; n: number }[]>`
        select o.status, count(*)::int as n from vms.operations o where o.idempotency_key like ${`${run}-%`} group by 1`.catch(() => []);
      statusCounts = Object.fromEntries(rows.map((row) => [row.status, row.n]));
      const active = (statusCounts.QUEUED ?? 0) + (statusCounts.RUNNING ?? 0);
      if ((active === 0 && rows.length > 0) || performance.now() > drainDeadline || !platform.supervisorAlive()) break;
      await new Promise((done) => setTimeout(done, 500));
    }

    const stored = await platform.sql<{ key: string; id: string }[]>`
      select idempotency_key as key, id::text as id from vms.operations where idempotency_key like ${`${run}-%`}`;
    const storedByKey = new Map<string, string[]>();
    for (const row of stored) storedByKey.set(row.key, [...(storedByKey.get(row.key) ?? []), row.id]);
    let lost = 0;
    let mismatched = 0;
    for (const [key, id] of acknowledged) {
      const ids = storedByKey.get(key);
      if (!ids) lost += 1;
      else if (!ids.includes(id)) mismatched += 1;
    }
    const duplicateKeys = [...storedByKey.values()].filter((ids) => ids.length > 1).length;
    const [vmCounts] = await platform.sql<{ vms: number; error: number; running: number }[]>`
      select count(*)::int as vms, count(*) filter (where status = 'ERROR')::int as error, count(*) filter (where status = 'RUNNING')::int as running
      from vms.vms where labels->>'chaos' = ${run}`;
    // Recovered unattended: the same processes answer a query and a mutation now.
    const probe = await sendGraphQL(platform.gatewayUrl, platform.token, createMutation, {
      input: { name: 'r2-probe', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04' },
      key: `${run}-probe`,
    });
    const active = (statusCounts.QUEUED ?? 0) + (statusCounts.RUNNING ?? 0);
    const figures = {
      clients,
      mutationsAcknowledged: acknowledged.size,
      lostAcknowledged: lost,
      acknowledgedWithOtherOperation: mismatched,
      keysWithTwoOperations: duplicateKeys,
      postgresDownMs: downtimeMs,
      firstAcknowledgementAfterRestartMs: firstAckAfterRestart !== null && restartedAt !== null ? Math.round(firstAckAfterRestart - restartedAt) : 'none',
      failedAttemptsDuringOutage: failures.length,
      failedAttemptKinds: tally(failures),
      operationsSucceeded: statusCounts.SUCCEEDED ?? 0,
      operationsFailed: statusCounts.FAILED ?? 0,
      operationsStillActive: active,
      vmsInError: vmCounts?.error ?? 0,
      platformStillRunning: platform.supervisorAlive() ? 'yes' : 'no',
      mutationAfterRecovery: probe.failure ?? 'ok',
      loadSeconds: Math.round(loadSeconds),
    };
    const passed =
      crashed &&
      acknowledged.size === mutations &&
      lost === 0 &&
      mismatched === 0 &&
      duplicateKeys === 0 &&
      active === 0 &&
      (statusCounts.FAILED ?? 0) === 0 &&
      platform.supervisorAlive() &&
      probe.failure === null;
    if (!platform.supervisorAlive()) options.log(`R2: the platform stopped:\n  ${platform.notableLines().join('\n  ')}`);
    return { name: 'R2 PostgreSQL crash and restart under load', passed, figures };
  } finally {
    await platform.stop();
  }
}
