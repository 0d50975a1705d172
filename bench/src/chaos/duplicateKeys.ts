/**
 * Chaos R4: createVM sent as `keys` idempotency keys × `duplicates` concurrent copies of each (by
 * default 2,000 × 5 = 10,000 requests). Passes when every request answered with its key's one
 * operation, the tenant holds exactly `keys` VMs and operations for the run, and — once the workers
 * drained them — each VM has exactly one instance at the provider.
 */
import { randomBytes } from 'node:crypto';
import { startWorkerChaosPlatform, type ChaosResult } from './startWorkerChaosPlatform.ts';

/** Options for {@link run}. */
export interface DuplicateKeysOptions {
  /** Distinct idempotency keys. Default 2,000. */
  keys?: number;
  /** Concurrent copies of each request. Default 5. */
  duplicates?: number;
  /** Keys in flight at once (each with all its copies). Default 40, so 200 requests in flight. */
  concurrentKeys?: number;
  workerProcesses?: number;
  workerConcurrency?: number;
  simLatencyMs?: string;
  /** Also wait for every create to finish and count instances per VM. Default true. */
  drain?: boolean;
  /** Give up waiting for the drain after this long. Default 20 min. */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

const createVm = 'mutation ($input: CreateVMInput!, $key: String) { createVM(input: $input, idempotencyKey: $key) { id vm { id } } }';

/** Runs R4 and returns its figures. */
export async function run(options: DuplicateKeysOptions = {}): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[R4] ${line}\n`));
  const keys = options.keys ?? 2_000;
  const duplicates = options.duplicates ?? 5;
  const concurrentKeys = options.concurrentKeys ?? 40;
  const runId = randomBytes(3).toString('hex');
  const platform = await startWorkerChaosPlatform({
    workerProcesses: options.workerProcesses ?? 1,
    workerConcurrency: options.workerConcurrency ?? 200,
    simLatencyMs: options.simLatencyMs ?? '20-60',
    log,
  });
  const started = Date.now();
  try {
    let requests = 0;
    let retried = 0;
    let keysWithOneOperation = 0;
    const errors = new Map<string, number>();
    const sendOne = async (index: number): Promise<string | null> => {
      const name = `r4-${runId}-${index}`;
      const variables = { input: { name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, key: `${name}:key` };
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        requests += 1;
        const answer = await platform.graphql<{ createVM: { id: string } }>(createVm, variables).catch((error: unknown) => ({ data: undefined, errors: [{ message: String(error), extensions: { code: 'NETWORK' } }] }));
        const id = answer.data?.createVM?.id;
        if (id) return id;
        const message = `${answer.errors?.[0]?.extensions?.code ?? '?'}: ${answer.errors?.[0]?.message ?? 'no answer'}`;
        errors.set(message, (errors.get(message) ?? 0) + 1);
        // Only an unavailable or overloaded answer is worth sending again (with the same key).
        if (!/UNAVAILABLE|RATE_LIMITED|OVERLOADED|NETWORK/.test(message)) return null;
        retried += 1;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
      return null;
    };
    let next = 0;
    const sender = async () => {
      for (let index = next++; index < keys; index = next++) {
        const ids = await Promise.all(Array.from({ length: duplicates }, () => sendOne(index)));
        if (ids.every((id) => id !== null && id === ids[0])) keysWithOneOperation += 1;
        if ((index + 1) % 500 === 0) log(`${index + 1}/${keys} keys sent`);
      }
    };
    await Promise.all(Array.from({ length: concurrentKeys }, () => sender()));
    const sendSeconds = (Date.now() - started) / 1000;

    const pattern = `r4-${runId}-%`;
    const [counts] = await platform.sql<{ vms: number; operations: number; names: number }[]>`
      select (select count(*)::int from vms.vms where tenant_id = 'bench' and name like ${pattern}) as vms,
             (select count(*)::int from vms.operations where tenant_id = 'bench' and idempotency_key like ${pattern}) as operations,
             (select count(distinct name)::int from vms.vms where tenant_id = 'bench' and name like ${pattern}) as names`;

    let drained = 'skipped';
    let vmsWithOneInstance: number | string = 'skipped';
    if (options.drain ?? true) {
      const deadline = Date.now() + (options.drainTimeoutMs ?? 20 * 60_000);
      for (;;) {
        const [row] = await platform.sql<{ n: number }[]>`select count(*)::int as n from vms.operations where status in ('QUEUED', 'RUNNING') and idempotency_key like ${pattern}`;
        if (row?.n === 0) {
          drained = 'yes';
          break;
        }
        if (Date.now() > deadline) {
          drained = `no (${row?.n} unfinished)`;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      const [instances] = await platform.sql<{ n: number }[]>`
        select count(*)::int as n from vms.vms v
        where v.name like ${pattern}
          and (select count(*) from simcloud.instances i where i.labels->>'novacron-vm-id' = v.id::text) = 1
          and (select count(*) from simcloud.instances i where i.name = v.name) = 1`;
      vmsWithOneInstance = instances?.n ?? 0;
    }
    const figures: Record<string, number | string> = {
      requests,
      retried,
      keys,
      duplicates,
      keysAnsweredWithOneOperation: keysWithOneOperation,
      vms: counts?.vms ?? -1,
      operations: counts?.operations ?? -1,
      distinctNames: counts?.names ?? -1,
      drained,
      vmsWithExactlyOneInstance: vmsWithOneInstance,
      sendSeconds: Math.round(sendSeconds),
      errors: [...errors].map(([message, count]) => `${count}× ${message.slice(0, 120)}`).join('; ') || 'none',
    };
    const passed =
      figures.vms === keys &&
      figures.operations === keys &&
      figures.distinctNames === keys &&
      keysWithOneOperation === keys &&
      (drained === 'skipped' || (drained === 'yes' && vmsWithOneInstance === keys));
    return { name: 'R4 duplicate createVM requests per idempotency key', passed, figures };
  } finally {
    await platform.stop();
  }
}
