/**
 * Chaos R1: operation workers SIGKILLed at random points while a mix of lifecycle operations runs.
 * Passes when every operation ends terminal (and none FAILED: the simulated provider is healthy),
 * every created VM has exactly one instance at the provider (counted by its VM-id tag and by name,
 * as an operator would count them in a cloud console), and no live instance is orphaned.
 */
import { randomBytes } from 'node:crypto';
import { startWorkerChaosPlatform, type ChaosResult } from './startWorkerChaosPlatform.ts';

/** Options for {@link run}. */
export interface WorkerKillsOptions {
  /** Operations in all, five per VM (create, stop, start, reboot, then delete or reboot). Default 2,000. */
  operations?: number;
  /** SIGKILLs to deliver while operations run. Default 200. */
  kills?: number;
  /** Mean pause between kills; each pause is drawn uniformly from 0 to twice this. Default 250 ms. */
  meanKillIntervalMs?: number;
  workerProcesses?: number;
  workerConcurrency?: number;
  simLatencyMs?: string;
  /** Lease length: how long a killed worker's operations wait before another worker resumes them. Default 3 s. */
  leaseSeconds?: number;
  /** Give up waiting for the operations after this long (a hang is a failure, reported). Default 30 min. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

type Kind = 'create' | 'stop' | 'start' | 'reboot' | 'delete';
const mutationOf: Record<Kind, string> = {
  create: 'mutation ($input: CreateVMInput!, $key: String) { op: createVM(input: $input, idempotencyKey: $key) { id vm { id } } }',
  stop: 'mutation ($id: ID!, $key: String) { op: stopVM(id: $id, idempotencyKey: $key) { id vm { id } } }',
  start: 'mutation ($id: ID!, $key: String) { op: startVM(id: $id, idempotencyKey: $key) { id vm { id } } }',
  reboot: 'mutation ($id: ID!, $key: String) { op: rebootVM(id: $id, idempotencyKey: $key) { id vm { id } } }',
  delete: 'mutation ($id: ID!, $key: String) { op: deleteVM(id: $id, idempotencyKey: $key) { id vm { id } } }',
};

/** Runs R1 and returns its figures. */
export async function run(options: WorkerKillsOptions = {}): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[R1] ${line}\n`));
  const lanes = Math.max(1, Math.round((options.operations ?? 2_000) / 5));
  const targetKills = options.kills ?? 200;
  const meanKillIntervalMs = options.meanKillIntervalMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const runId = randomBytes(3).toString('hex');
  const platform = await startWorkerChaosPlatform({
    workerProcesses: options.workerProcesses ?? 3,
    workerConcurrency: options.workerConcurrency ?? 100,
    simLatencyMs: options.simLatencyMs ?? '100-400',
    workerEnv: {
      WORKER_LEASE_SECONDS: String(options.leaseSeconds ?? 3),
      WORKER_QUEUED_LEASE_SECONDS: '30',
      WORKER_SWEEP_INTERVAL_MS: '500',
      WORKER_POLL_INTERVAL_MS: '500',
    },
    log,
  });
  const started = Date.now();
  try {
    // One poller for every operation's status, rather than one query per waiting lane.
    const waiting = new Map<string, (status: string) => void>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const ids = [...waiting.keys()];
        if (ids.length > 0) {
          const rows = await platform.sql<{ id: string; status: string }[]>`
            select id, status from vms.operations where id = any(${ids}::uuid[]) and status not in ('QUEUED', 'RUNNING')`;
          for (const row of rows) {
            waiting.get(row.id)?.(row.status);
            waiting.delete(row.id);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const finished = (operationId: string) => new Promise<string>((resolve) => waiting.set(operationId, resolve));

    const submitted = { total: 0, refused: 0 };
    const outcomes = new Map<string, number>();
    const submit = async (kind: Kind, variables: Record<string, unknown>): Promise<{ id: string; vmId: string } | null> => {
      // A mutation whose answer was lost is sent again with the same key: it returns the same operation.
      for (let attempt = 1; attempt <= 20; attempt += 1) {
        const answer = await platform.graphql<{ op: { id: string; vm: { id: string } | null } }>(mutationOf[kind], variables).catch((error: unknown) => ({ errors: [{ message: String(error), extensions: { code: 'NETWORK' } }], data: undefined }));
        const op = answer.data?.op;
        if (op?.vm) {
          submitted.total += 1;
          return { id: op.id, vmId: op.vm.id };
        }
        const code = answer.errors?.[0]?.extensions?.code;
        if (code === 'CONFLICT' || code === 'BAD_USER_INPUT') {
          submitted.refused += 1;
          log(`refused ${kind}: ${answer.errors?.[0]?.message}`);
          return null;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
      submitted.refused += 1;
      return null;
    };

    const lane = async (index: number) => {
      const name = `r1-${runId}-${index}`;
      const created = await submit('create', { input: { name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, key: `${name}:create` });
      if (!created) return;
      let status = await finished(created.id);
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
      const plan: Kind[] = ['stop', 'start', 'reboot', index % 2 === 0 ? 'delete' : 'reboot'];
      for (const [step, kind] of plan.entries()) {
        if (status !== 'SUCCEEDED') return;
        const op = await submit(kind, { id: created.vmId, key: `${name}:${step}:${kind}` });
        if (!op) return;
        status = await finished(op.id);
        outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
      }
    };

    let lanesDone = 0;
    const lanesFinished = Promise.all(Array.from({ length: lanes }, (_, index) => lane(index).finally(() => (lanesDone += 1))));
    let kills = 0;
    const killer = (async () => {
      while (kills < targetKills && lanesDone < lanes) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * meanKillIntervalMs));
        if (lanesDone >= lanes) break;
        if (await platform.killRandomWorker()) kills += 1;
        if (kills % 20 === 0) log(`${kills} kills, ${submitted.total} operations submitted, ${lanesDone}/${lanes} VMs done`);
      }
    })();
    const timedOut = await Promise.race([
      lanesFinished.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
    ]);
    await killer;
    polling = false;
    await poller;
    const elapsedSeconds = Math.round((Date.now() - started) / 1000);

    const [active] = await platform.sql<{ n: number }[]>`select count(*)::int as n from vms.operations where status in ('QUEUED', 'RUNNING')`;
    const [instances] = await platform.sql<{ vms: number; exactly_one: number; by_name_exactly_one: number; orphans: number; untracked: number }[]>`
      with created as (
        select v.id, v.name, v.provider_id, v.status from vms.vms v
        join vms.operations o on o.vm_id = v.id and o.kind = 'CREATE' and o.status = 'SUCCEEDED'
        where v.name like ${`r1-${runId}-%`}
      ),
      counted as (
        select c.id,
               (select count(*) from simcloud.instances i where i.labels->>'novacron-vm-id' = c.id::text) as tagged,
               (select count(*) from simcloud.instances i where i.name = c.name) as named
        from created c
      )
      select (select count(*)::int from created) as vms,
             (select count(*)::int from counted where tagged = 1) as exactly_one,
             (select count(*)::int from counted where named = 1) as by_name_exactly_one,
             (select count(*)::int from simcloud.instances i
               where i.name like ${`r1-${runId}-%`} and i.state not in ('DELETED', 'DELETING') and coalesce(i.target_state, '') <> 'DELETED'
                 and not exists (select 1 from vms.vms v where v.provider_id = i.provider_id and v.status <> 'DELETED')) as orphans,
             (select count(*)::int from simcloud.instances i
               where i.name like ${`r1-${runId}-%`} and not exists (select 1 from vms.vms v where v.id::text = i.labels->>'novacron-vm-id')) as untracked`;
    const failed = outcomes.get('FAILED') ?? 0;
    const figures: Record<string, number | string> = {
      operations: submitted.total,
      refused: submitted.refused,
      kills,
      succeeded: outcomes.get('SUCCEEDED') ?? 0,
      failed,
      cancelled: outcomes.get('CANCELLED') ?? 0,
      nonTerminal: active?.n ?? -1,
      createdVms: instances?.vms ?? 0,
      vmsWithExactlyOneInstance: instances?.exactly_one ?? 0,
      vmsWithExactlyOneInstanceByName: instances?.by_name_exactly_one ?? 0,
      orphanInstances: instances?.orphans ?? -1,
      untrackedInstances: instances?.untracked ?? -1,
      seconds: elapsedSeconds,
      timedOut: timedOut ? 'yes' : 'no',
    };
    const passed =
      !timedOut &&
      figures.nonTerminal === 0 &&
      failed === 0 &&
      submitted.refused === 0 &&
      kills >= Math.min(targetKills, 1) &&
      figures.createdVms === lanes &&
      figures.vmsWithExactlyOneInstance === lanes &&
      figures.vmsWithExactlyOneInstanceByName === lanes &&
      figures.orphanInstances === 0 &&
      figures.untrackedInstances === 0;
    return { name: 'R1 worker SIGKILLs during mixed operations', passed, figures };
  } finally {
    await platform.stop();
  }
}
