/**
 * R3: Redis (event signals, rate-limit counters) is killed and restarted while subscribers follow a
 * stream of VM changes. Afterwards: no mutation failed, and every subscriber received every event of
 * the run's VMs (as stored in vms.vm_events) exactly once, each VM's in version order.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createNovaCronSubscriptions, VmEventsDocument, type VmEventsSubscription } from '@novacron/sdk';
import { startRedis } from '@novacron/testing';
import type { ChaosOptions, ChaosResult } from './ChaosScenario.ts';
import { sendGraphQL, tally } from './sendGraphQL.ts';
import { startChaosPlatform } from './startChaosPlatform.ts';

const createMutation = `mutation ($input: CreateVMInput!, $key: String) { createVM(input: $input, idempotencyKey: $key) { id vm { id } } }`;
const stopMutation = `mutation ($id: ID!) { stopVM(id: $id) { id } }`;

interface Subscriber {
  received: { vmId: string; version: number }[];
  errors: string[];
  stop: () => void;
  dispose: () => Promise<void>;
}

/** Runs R3 and reports its figures. */
export async function run(options: ChaosOptions): Promise<ChaosResult> {
  const subscriberCount = options.short ? 5 : 25;
  const vmCount = options.short ? 20 : 100;
  const outageMs = options.short ? 3_000 : 10_000;
  const redis = await startRedis();
  const platform = await startChaosPlatform({
    env: { REDIS_URL: redis.url, REDIS_PREFIX: `chaos-${Date.now().toString(36)}`, SIM_LATENCY_MS: '100-400', WORKER_CONCURRENCY: '20' },
    log: options.log,
  }).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  const subscribers: Subscriber[] = [];
  try {
    const run = `r3-${Date.now().toString(36)}`;
    const wsUrl = platform.gatewayUrl.replace(/^http/, 'ws');
    for (let index = 0; index < subscriberCount; index += 1) {
      // The SDK's resumable subscription: after a dropped connection it resubscribes after the last cursor.
      const live = createNovaCronSubscriptions({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 50, connectionParams: { authorization: `Bearer ${platform.token}` } });
      const subscriber: Subscriber = { received: [], errors: [], stop: () => {}, dispose: () => live.dispose() };
      subscriber.stop = live.subscribeResumable(VmEventsDocument, { filter: { labels: [{ key: 'chaos', value: run }] } }, (data: VmEventsSubscription) => data.vmEvents.cursor, {
        next: (result) => {
          const event = result.data?.vmEvents;
          if (event) subscriber.received.push({ vmId: event.vm.id, version: event.version });
          for (const error of result.errors ?? []) subscriber.errors.push(String(error.extensions?.code ?? error.message));
        },
        error: (error) => subscriber.errors.push(error instanceof Error ? error.message : 'closed'),
      });
      subscribers.push(subscriber);
    }

    // A probe VM proves every subscription is live before the measured run starts.
    const probe = await sendGraphQL(platform.gatewayUrl, platform.token, createMutation, { input: vmInput('r3-probe', run), key: `${run}-probe` });
    const probeVmId = (probe.data?.createVM as { vm?: { id?: string } } | null)?.vm?.id;
    if (probe.failure || !probeVmId) throw new Error(`the probe createVM failed: ${probe.failure}`);
    await until(() => subscribers.every((subscriber) => subscriber.received.length > 0), 60_000, 'every subscriber to receive the probe');

    const failures: string[] = [];
    const mutate = async (query: string, variables: Record<string, unknown>) => {
      const answer = await sendGraphQL(platform.gatewayUrl, platform.token, query, variables);
      if (answer.failure) failures.push(answer.failure);
      return answer;
    };
    // Creates spread over the outage, then a stop of each VM once it runs: events before, during and after.
    const started = performance.now();
    const created: string[] = [];
    const creating = (async () => {
      for (let index = 0; index < vmCount; index += 1) {
        const answer = await mutate(createMutation, { input: vmInput(`r3-${index}`, run), key: `${run}-${index}` });
        const vmId = (answer.data?.createVM as { vm?: { id?: string } } | null)?.vm?.id;
        if (vmId) created.push(vmId);
        await new Promise((done) => setTimeout(done, (outageMs * 3) / vmCount));
      }
    })();
    await new Promise((done) => setTimeout(done, outageMs / 2));
    options.log('R3: killing Redis');
    const outageStarted = performance.now();
    await redis.stop();
    await new Promise((done) => setTimeout(done, outageMs));
    await redis.start();
    const outageEnded = performance.now();
    options.log(`R3: Redis back after ${Math.round(outageEnded - outageStarted)} ms`);
    await creating;
    await untilAsync(async () => {
      const [row] = await platform.sql<{ active: number }[]>`
        select count(*)::int as active from vms.operations where idempotency_key like ${`${run}-%`} and status in ('QUEUED', 'RUNNING')`;
      return row?.active === 0;
    }, 180_000, 'the creates to finish');
    for (const vmId of created) await mutate(stopMutation, { id: vmId });
    await untilAsync(async () => {
      const [row] = await platform.sql<{ active: number }[]>`
        select count(*)::int as active from vms.operations o join vms.vms v on v.id = o.vm_id where v.labels->>'chaos' = ${run} and o.status in ('QUEUED', 'RUNNING')`;
      return row?.active === 0;
    }, 180_000, 'the stops to finish');

    // The truth: every stored event of the run's VMs.
    const stored = await platform.sql<{ vmId: string; version: number }[]>`
      select e.vm_id::text as "vmId", e.vm_version as version from vms.vm_events e join vms.vms v on v.id = e.vm_id where v.labels->>'chaos' = ${run}`;
    // The probe's first events may predate a subscription that was not live yet: only the run's VMs count.
    const expected = new Set(stored.filter((event) => event.vmId !== probeVmId).map((event) => `${event.vmId}@${event.version}`));
    // Delivery is asynchronous: wait (bounded) until every subscriber has at least as many events as stored.
    await until(
      () => subscribers.every((subscriber) => new Set(subscriber.received.filter((event) => event.vmId !== probeVmId).map((event) => `${event.vmId}@${event.version}`)).size >= expected.size),
      60_000,
      'every subscriber to catch up',
    ).catch(() => {});
    let gaps = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let unexpected = 0;
    const gapSample: string[] = [];
    for (const subscriber of subscribers) {
      const seen = new Set<string>();
      const lastVersion = new Map<string, number>();
      for (const event of subscriber.received) {
        if (event.vmId === probeVmId) continue;
        const key = `${event.vmId}@${event.version}`;
        if (seen.has(key)) duplicates += 1;
        seen.add(key);
        if (!expected.has(key)) unexpected += 1;
        if ((lastVersion.get(event.vmId) ?? 0) >= event.version) outOfOrder += 1;
        lastVersion.set(event.vmId, event.version);
      }
      for (const key of expected) {
        if (seen.has(key)) continue;
        gaps += 1;
        if (gapSample.length < 5) gapSample.push(key);
      }
    }
    const subscriberErrors = subscribers.flatMap((subscriber) => subscriber.errors);
    const figures = {
      subscribers: subscriberCount,
      vms: created.length,
      eventsPerSubscriber: expected.size,
      redisDownMs: Math.round(outageEnded - outageStarted),
      mutations: vmCount * 2 + 1,
      mutationFailures: failures.length,
      mutationFailureKinds: tally(failures),
      gaps,
      ...(gapSample.length > 0 ? { gapSample: gapSample.join(' ') } : {}),
      duplicates,
      outOfOrder,
      unexpectedEvents: unexpected,
      subscriberErrors: tally(subscriberErrors),
      platformStillRunning: platform.supervisorAlive() ? 'yes' : 'no',
      runSeconds: Math.round((performance.now() - started) / 1000),
    };
    const passed = failures.length === 0 && gaps === 0 && duplicates === 0 && outOfOrder === 0 && unexpected === 0 && created.length === vmCount && platform.supervisorAlive();
    return { name: 'R3 Redis outage during streams', passed, figures };
  } finally {
    for (const subscriber of subscribers) subscriber.stop();
    await Promise.all(subscribers.map((subscriber) => subscriber.dispose().catch(() => {})));
    await platform.stop();
    await redis.stop();
  }
}

function vmInput(name: string, run: string) {
  return { name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04', labels: { chaos: run } };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await untilAsync(async () => check(), timeoutMs, what);
}

async function untilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}
