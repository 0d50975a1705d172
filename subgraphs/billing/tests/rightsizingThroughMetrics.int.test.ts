import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { start as startMetrics, type RunningMetricsSubgraph } from '@novacron/metrics';
import type { MetricsConfig } from '@novacron/metrics/config';
import { applyVmEvents as projectIntoMetrics, defaultRetention, rollUpPending } from '@novacron/metrics/storage';
import { createLogger } from '@novacron/server-kit';
import { testSubgraphConfig } from '@novacron/subgraph-kit/testing';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase } from '../src/db/createDatabase.ts';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { start } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';
import { vmEventStream } from './support/vmEventStream.ts';

/**
 * The real path: the metrics subgraph and the billing subgraph in this process on free ports, one
 * database. Samples go in through the metrics subgraph's OTLP endpoint as a tenant's operator, its
 * rollup job turns them into 5-minute rollups, and billing reads them back through the metrics
 * subgraph's GraphQL API with its own system identity.
 */
let database: TestDatabase;
let metrics: RunningMetricsSubgraph;
let billing: Awaited<ReturnType<typeof start>>;
let keys: Awaited<ReturnType<typeof createTestKeys>>;

const step = 300;
const day = 86_400;
const buckets = (14 * day) / step; // 4,032
// Billing's clock: a 5-minute boundary ten minutes ago, so every bucket of the window is closed and
// rolled up (the rollup waits 30 s after a bucket ends) while the metrics subgraph runs on the real clock.
const now = Math.floor((Date.now() / 1000 - 600) / step) * step;
const windowStart = now - 14 * day;

const oversized = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.2xlarge' });
const undersized = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' });
const young = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.xlarge' });
const started = new Date((windowStart - day) * 1000).toISOString();
for (const vm of [oversized, undersized, young]) {
  vm.created(started);
  vm.running(started);
}

/** One sample per 5-minute bucket, 30 s into it; `cpu` and `memory` are fractions (OTLP host metrics). */
interface Sampling {
  fromBucket: number;
  cpu(bucket: number): number;
  memory: number;
}

function otlpDay(vmId: string, sampling: Sampling, dayIndex: number) {
  const first = Math.max(sampling.fromBucket, dayIndex * (day / step));
  const last = Math.min(buckets, (dayIndex + 1) * (day / step));
  const cpu: unknown[] = [];
  const memory: unknown[] = [];
  for (let bucket = first; bucket < last; bucket += 1) {
    const timeUnixNano = `${BigInt(windowStart + bucket * step + 30) * 1_000_000_000n}`;
    cpu.push({ timeUnixNano, asDouble: sampling.cpu(bucket) });
    memory.push({ timeUnixNano, asDouble: sampling.memory });
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'novacron.vm.id', value: { stringValue: vmId } }] },
        scopeMetrics: [
          {
            scope: { name: 'hostmetricsreceiver' },
            metrics: [
              { name: 'system.cpu.utilization', unit: '1', gauge: { dataPoints: cpu } },
              { name: 'system.memory.utilization', unit: '1', gauge: { dataPoints: memory } },
            ],
          },
        ],
      },
    ],
  };
}

async function ingest(vmId: string, sampling: Sampling): Promise<number> {
  let accepted = 0;
  for (let dayIndex = Math.floor(sampling.fromBucket / (day / step)); dayIndex < 14; dayIndex += 1) {
    const response = await fetch(new URL('/v1/metrics', metrics.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [internalTokenHeader]: await keys.forUserOf('metrics', 'acme', 'operator') },
      body: JSON.stringify(otlpDay(vmId, sampling, dayIndex)),
    });
    const answer = (await response.json()) as { partialSuccess?: { rejectedDataPoints?: string | number } };
    expect(response.status).toBe(200);
    expect(Number(answer.partialSuccess?.rejectedDataPoints ?? 0)).toBe(0);
    accepted += Math.min(buckets, (dayIndex + 1) * (day / step)) - Math.max(sampling.fromBucket, dayIndex * (day / step));
  }
  return accepted;
}

function metricsConfig(databaseUrl: string, keysDir: string): MetricsConfig {
  return {
    ...testSubgraphConfig('metrics', databaseUrl, keysDir),
    subgraphUrls: { metrics: 'http://127.0.0.1:1/graphql', vms: 'http://127.0.0.1:1/graphql' },
    collector: { intervalMs: 60_000, simulatedIntervalMs: 60_000, followPollIntervalMs: 60_000 },
    rollupIntervalMs: 60_000,
    maintenanceIntervalMs: 60_000,
    // Raw samples kept 15 days instead of 7, so a test can push a whole 14-day history through the
    // OTLP endpoint now (in production each sample arrives while it is fresh).
    retention: { ...defaultRetention, rawDays: 15 },
    // The lowest limit billing's pages fit (7 days of 5-minute buckets); the default is 11,000.
    maxPoints: 2_016,
    maxFutureMs: 600_000,
    otlpMaxBodyBytes: 1_000_000,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  // Background work off: no vms subgraph to follow, no simulated cloud to collect from; the test
  // projects the VMs itself and runs the rollup job once the samples are in.
  metrics = await startMetrics(metricsConfig(database.url, keys.keysDir), createLogger('metrics', 'silent'), { background: false });
  const config = testConfig(database.url, keys.keysDir);
  billing = await start({ ...config, subgraphUrls: { ...config.subgraphUrls, metrics: metrics.url } }, createLogger('billing', 'silent'), { now: () => now, tasks: false });
  const events = [...oversized.events, ...undersized.events, ...young.events];
  await drizzle(database.sql).transaction((tx) => projectIntoMetrics(tx, events));
  await createDatabase(database.sql).transaction((tx) => applyVmEvents(tx, events, loadCatalog()));

  // Oversized: 12.5 % CPU, except one 100-minute spike at 100 % (20 buckets = the top 0.5 % P99.5 ignores); memory 25 %.
  const spike = (bucket: number) => bucket >= 3 * 288 + 100 && bucket < 3 * 288 + 120;
  expect(await ingest(oversized.id, { fromBucket: 0, cpu: (bucket) => (spike(bucket) ? 1 : 0.125), memory: 0.25 })).toBe(4032);
  // Undersized: 96.875 % CPU all the time; memory 50 %.
  expect(await ingest(undersized.id, { fromBucket: 0, cpu: () => 0.96875, memory: 0.5 })).toBe(4032);
  // Not enough data: the last 29 hours only (348 buckets).
  expect(await ingest(young.id, { fromBucket: buckets - 348, cpu: () => 0.125, memory: 0.25 })).toBe(348);
  const rolled = await rollUpPending(database.sql, new Date());
  expect(rolled.fiveMinute).toBe(2 * (4032 + 4032 + 348));
}, 120_000);
afterAll(async () => {
  await billing?.stop();
  await metrics?.stop();
  await database?.drop();
});

async function rightsizingOf(vmIds: string[], tenantId = 'acme') {
  const response = await fetch(billing.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [internalTokenHeader]: await keys.forUser(tenantId, 'viewer') },
    body: JSON.stringify({
      query: `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on VM { rightsizing {
        status currentInstanceType recommendedInstanceType monthlySavings
        evidence { windowDays hoursOfData cpuP995Percent memoryP995Percent headroomPercent currentVcpus currentMemoryGib requiredVcpus requiredMemoryGib reason }
      } } } }`,
      variables: { reps: vmIds.map((id) => ({ __typename: 'VM', id })) },
    }),
  });
  return (await response.json()) as { data?: { _entities: Array<{ rightsizing: Record<string, any> } | null> }; errors?: Array<{ extensions?: Record<string, unknown> }> };
}

describe('rightsizing through the real metrics subgraph', () => {
  it('recommends the cheaper type of the same family for a VM idling at 12.5 % with one spike', async () => {
    const answer = await rightsizingOf([oversized.id]);
    expect(answer.errors).toBeUndefined();
    // P99.5 by nearest rank of 4,032 five-minute maxima: rank ⌈0.995 × 4032⌉ = 4,012; 4,012 buckets are at
    // 12.5 %, the 20 spike buckets above them → 12.5 %. Needs 8 × 0.125 × 1.2 = 1.2 vCPU and
    // 32 × 0.25 × 1.2 = 9.6 GiB: m6i.large (8 GiB) is too small, m6i.xlarge (4 vCPU, 16 GiB) fits.
    // Saving (0.384 − 0.192) USD/h × 730 h = 140.16 USD.
    expect(answer.data?._entities[0]?.rightsizing).toEqual({
      status: 'OVERSIZED',
      currentInstanceType: 'm6i.2xlarge',
      recommendedInstanceType: 'm6i.xlarge',
      monthlySavings: '140.160000',
      evidence: {
        windowDays: 14,
        hoursOfData: 336,
        cpuP995Percent: 12.5,
        memoryP995Percent: 25,
        headroomPercent: 20,
        currentVcpus: 8,
        currentMemoryGib: 32,
        requiredVcpus: 1.2,
        requiredMemoryGib: 9.6,
        reason: 'a cheaper type fits the measured load plus headroom',
      },
    });
  });

  it('recommends the next size up, at its extra cost, for a VM near 100 % CPU', async () => {
    const answer = await rightsizingOf([undersized.id]);
    expect(answer.errors).toBeUndefined();
    // Needs 2 × 0.96875 × 1.2 = 2.325 vCPU (m6i.large has 2) and 8 × 0.5 × 1.2 = 4.8 GiB → m6i.xlarge;
    // the "saving" is (0.096 − 0.192) × 730 = −70.08 USD, the fix costs more.
    expect(answer.data?._entities[0]?.rightsizing).toEqual({
      status: 'UNDERSIZED',
      currentInstanceType: 'm6i.large',
      recommendedInstanceType: 'm6i.xlarge',
      monthlySavings: '-70.080000',
      evidence: {
        windowDays: 14,
        hoursOfData: 336,
        cpuP995Percent: 96.875,
        memoryP995Percent: 50,
        headroomPercent: 20,
        currentVcpus: 2,
        currentMemoryGib: 8,
        requiredVcpus: 2.325,
        requiredMemoryGib: 4.8,
        reason: 'the current type is below the measured load plus headroom',
      },
    });
  });

  it('answers NOT_ENOUGH_DATA for a VM with 29 hours of samples', async () => {
    const answer = await rightsizingOf([young.id]);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities[0]?.rightsizing).toEqual({
      status: 'NOT_ENOUGH_DATA',
      currentInstanceType: 'm6i.xlarge',
      recommendedInstanceType: null,
      monthlySavings: '0.000000',
      evidence: {
        windowDays: 14,
        hoursOfData: 29,
        cpuP995Percent: 12.5,
        memoryP995Percent: 25,
        headroomPercent: 20,
        currentVcpus: 4,
        currentMemoryGib: 16,
        requiredVcpus: null,
        requiredMemoryGib: null,
        reason: 'needs at least 30 hours of CPU data in 14 days',
      },
    });
  });

  it('answers all three in one batch, and another tenant’s viewer gets NOT_FOUND, not acme’s metrics', async () => {
    const batch = await rightsizingOf([oversized.id, undersized.id, young.id]);
    expect(batch.data?._entities.map((entity) => entity?.rightsizing.status)).toEqual(['OVERSIZED', 'UNDERSIZED', 'NOT_ENOUGH_DATA']);
    const foreign = await rightsizingOf([oversized.id], 'globex');
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
