import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVmDocument,
  FleetMetricsDocument,
  LatestMetricsDocument,
  StopVmDocument,
  VmMetricsDocument,
  VmMetricsLiveDocument,
  waitForOperation,
  type NovaCronClient,
} from '@novacron/sdk';
import { generateSimulatedSamples } from '@novacron/providers';
import { waitFor } from '@novacron/testing';
import { collect, createVmInput, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

// Simulated samples every second and a collector round every 300 ms, so samples appear within a second.
const simulatedIntervalMs = 1_000;
let platform: Platform;
let acme: NovaCronClient;
let acmeToken: string;
let acmeOperatorToken: string;
let rivalToken: string;
let rivalOperatorToken: string;
let rival: NovaCronClient;

beforeAll(async () => {
  platform = await startPlatform({
    simLatencyMs: '50-100',
    subgraphEnv: {
      METRICS_COLLECT_INTERVAL_MS: '300',
      SIM_METRICS_INTERVAL_MS: String(simulatedIntervalMs),
      METRICS_FOLLOW_POLL_INTERVAL_MS: '200',
      METRICS_ROLLUP_INTERVAL_MS: '500',
    },
  });
  acmeToken = await platform.tokenFor({ tenant: 'acme', role: 'viewer' });
  acmeOperatorToken = await platform.tokenFor({ tenant: 'acme', role: 'operator' });
  rivalToken = await platform.tokenFor({ tenant: 'rival', role: 'viewer' });
  rivalOperatorToken = await platform.tokenFor({ tenant: 'rival', role: 'operator' });
  acme = await platform.clientFor({ tenant: 'acme', role: 'operator' });
  rival = await platform.clientFor({ tenant: 'rival', role: 'viewer' });
});
afterAll(async () => {
  await platform?.stop();
});

async function createRunningVm(labels: Record<string, string>) {
  const { createVM } = await acme.request(CreateVmDocument, { input: createVmInput({ labels }) });
  const done = await waitForOperation(acme, createVM.id, { intervalMs: 50 });
  expect(done.status).toBe('SUCCEEDED');
  return { id: done.vm!.id, providerId: done.vm!.providerId!, createdAt: new Date(done.vm!.createdAt) };
}

const latestOf = async (client: NovaCronClient, id: string) => (await client.request(LatestMetricsDocument, { id })).vm?.latestMetrics ?? null;

async function rawSeries(id: string, kind: 'CPU_PERCENT' | 'MEMORY_PERCENT', from: Date, to: Date, step = 1) {
  const { vm } = await acme.request(VmMetricsDocument, { id, kind, from: from.toISOString(), to: to.toISOString(), step, aggregate: 'MAX' });
  return vm!.metrics.points;
}

function pushOtlp(token: string | null, body: string, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(new URL('/v1/metrics', platform.gateway.url), { method: 'POST', headers, body }).then(async (response) => ({
    status: response.status,
    json: (await response.json()) as { partialSuccess?: { rejectedDataPoints?: string }; errors?: { extensions?: { code?: string; field?: string } }[] },
  }));
}

function memoryExport(resource: Record<string, string>, t: Date, utilization: number): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })) },
        scopeMetrics: [
          {
            scope: { name: 'hostmetricsreceiver' },
            metrics: [{ name: 'system.memory.utilization', gauge: { dataPoints: [{ attributes: [{ key: 'state', value: { stringValue: 'used' } }], timeUnixNano: `${BigInt(t.getTime()) * 1_000_000n}`, asDouble: utilization }] } }],
          },
        ],
      },
    ],
  });
}

describe('metrics through the gateway', () => {
  it('collects samples of a VM once it is created, exactly the simulated provider’s series', async () => {
    const vm = await createRunningVm({ workload: 'web' });
    await waitFor(async () => ((await latestOf(acme, vm.id))?.length === 6 ? true : undefined), { description: 'all six kinds collected' });
    const to = new Date();
    const points = await rawSeries(vm.id, 'CPU_PERCENT', new Date(to.getTime() - 60_000), to);
    const stored = points.filter((point) => point.value !== null);
    expect(stored.length).toBeGreaterThan(0);
    const expected = new Map(
      generateSimulatedSamples({ vmId: vm.id, labels: { workload: 'web' } }, new Date(to.getTime() - 61_000), to, simulatedIntervalMs)
        .filter((sample) => sample.kind === 'CPU_PERCENT')
        .map((sample) => [sample.t.toISOString(), sample.value]),
    );
    for (const point of stored) expect(point.value).toBe(expected.get(point.t));
  });

  it('collects nothing for a stopped VM while others keep being collected', async () => {
    const stopped = await createRunningVm({});
    const witness = await createRunningVm({});
    const { stopVM } = await acme.request(StopVmDocument, { id: stopped.id });
    const done = await waitForOperation(acme, stopVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    const stoppedAt = new Date(done.finishedAt!);
    // The witness VM proves collector rounds ran after the stop.
    await waitFor(
      async () => {
        const latest = await latestOf(acme, witness.id);
        return latest?.some((sample) => new Date(sample.t).getTime() > stoppedAt.getTime() + 3 * simulatedIntervalMs) ? true : undefined;
      },
      { description: 'collector rounds after the stop' },
    );
    const after = await rawSeries(stopped.id, 'CPU_PERCENT', new Date(stoppedAt.getTime() + simulatedIntervalMs), new Date());
    expect(after.filter((point) => point.value !== null)).toEqual([]);
  });

  it('stores an OTLP push sent to the gateway and reads it back exactly', async () => {
    const vm = await createRunningVm({});
    // The metrics subgraph learns of the VM from the vms event stream (a moment after the create);
    // collected samples show it has.
    await waitFor(async () => ((await latestOf(acme, vm.id))?.length ? true : undefined), { description: 'the VM known to metrics' });
    // Before the VM was created, at a millisecond no collector sample can have.
    const t = new Date(vm.createdAt.getTime() - 10 * 60_000 + 123);
    const pushed = await pushOtlp(acmeOperatorToken, memoryExport({ 'host.id': vm.providerId }, t, 0.4375));
    expect(pushed).toEqual({ status: 200, json: {} });
    const points = await rawSeries(vm.id, 'MEMORY_PERCENT', t, new Date(t.getTime() + 1), 1);
    expect(points).toEqual([{ t: new Date(Math.floor(t.getTime() / 1000) * 1000).toISOString(), value: 43.75 }]);
  });

  it('refuses a malformed export with a coded error and stores nothing', async () => {
    const vm = await createRunningVm({});
    const t = new Date(vm.createdAt.getTime() - 20 * 60_000 + 7);
    const malformed = memoryExport({ 'novacron.vm.id': vm.id }, t, 0.5).replace('"timeUnixNano"', '"timeUnixNanos"');
    const response = await pushOtlp(acmeOperatorToken, malformed);
    expect(response.status).toBe(400);
    expect(response.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano' });
    expect((await pushOtlp(null, memoryExport({ 'novacron.vm.id': vm.id }, t, 0.5))).status).toBe(401);
    expect((await pushOtlp(acmeToken, memoryExport({ 'novacron.vm.id': vm.id }, t, 0.5))).json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await rawSeries(vm.id, 'MEMORY_PERCENT', t, new Date(t.getTime() + 1))).map((point) => point.value)).toEqual([null]);
  });

  it('delivers new samples live, and resumes after a cursor with no gap and no repeat', async () => {
    const vm = await createRunningVm({});
    const client = subscriptionsClient(platform.gateway.url, { token: acmeToken });
    const live = collect(client, VmMetricsLiveDocument, { vmId: vm.id, kinds: ['CPU_PERCENT'] });
    await live.waitFor((results) => results.length >= 4);
    const samples = live.results.map((result) => result.data!.vmMetrics);
    expect(samples.every((sample) => sample.vmId === vm.id && sample.kind === 'CPU_PERCENT')).toBe(true);
    const resumed = collect(client, VmMetricsLiveDocument, { vmId: vm.id, kinds: ['CPU_PERCENT'], after: samples[1]!.cursor });
    await resumed.waitFor((results) => results.length >= 2);
    expect(resumed.results.slice(0, 2).map((result) => result.data!.vmMetrics.t)).toEqual(samples.slice(2, 4).map((sample) => sample.t));
    live.stop();
    resumed.stop();
    await client.dispose();
  });

  it('keeps every path tenant-isolated: query, fleet, subscription and push', async () => {
    const vm = await createRunningVm({ team: 'isolation' });
    await waitFor(async () => ((await latestOf(acme, vm.id))?.length ? true : undefined), { description: 'samples collected' });
    // Query: another tenant cannot read the VM or its metrics.
    expect((await rival.request(LatestMetricsDocument, { id: vm.id })).vm).toBeNull();
    // Fleet: another tenant's fleet does not contain it.
    const to = new Date();
    const from = new Date(to.getTime() - 3_600_000);
    const fleet = async (client: NovaCronClient) =>
      (await client.request(FleetMetricsDocument, { kind: 'CPU_PERCENT', from: from.toISOString(), to: to.toISOString(), step: 600, groupBy: 'LABEL', labelKey: 'team' })).fleetMetrics;
    expect((await fleet(acme)).find((group) => group.key === 'isolation')?.vmCount).toBe(1);
    expect((await fleet(rival)).find((group) => group.key === 'isolation')).toBeUndefined();
    // Subscription: the rival receives nothing while acme receives samples.
    const rivalClient = subscriptionsClient(platform.gateway.url, { token: rivalToken });
    const acmeClient = subscriptionsClient(platform.gateway.url, { token: acmeToken });
    const spied = collect(rivalClient, VmMetricsLiveDocument, { vmId: vm.id });
    const own = collect(acmeClient, VmMetricsLiveDocument, { vmId: vm.id });
    await own.waitFor((results) => results.length >= 12);
    expect(spied.results).toEqual([]);
    spied.stop();
    own.stop();
    await rivalClient.dispose();
    await acmeClient.dispose();
    // Push: samples for acme's VM from the rival are refused, counted, and not stored.
    const t = new Date(vm.createdAt.getTime() - 30 * 60_000 + 11);
    const pushed = await pushOtlp(rivalOperatorToken, memoryExport({ 'novacron.vm.id': vm.id }, t, 0.9));
    expect(pushed.status).toBe(200);
    expect(pushed.json.partialSuccess?.rejectedDataPoints).toBe('1');
    const byHost = await pushOtlp(rivalOperatorToken, memoryExport({ 'host.id': vm.providerId }, t, 0.9));
    expect(byHost.json.partialSuccess?.rejectedDataPoints).toBe('1');
    expect((await rawSeries(vm.id, 'MEMORY_PERCENT', t, new Date(t.getTime() + 1))).map((point) => point.value)).toEqual([null]);
  });

  it('answers bad ranges with BAD_USER_INPUT naming the field', async () => {
    const vm = await createRunningVm({});
    const now = new Date();
    const attempt = async (from: Date, to: Date, step: number) =>
      (await acme.execute(VmMetricsDocument, { id: vm.id, kind: 'CPU_PERCENT', from: from.toISOString(), to: to.toISOString(), step })).errors?.[0]?.extensions;
    expect(await attempt(new Date(now.getTime() - 60_000), now, 0)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'step' });
    expect(await attempt(now, new Date(now.getTime() - 60_000), 60)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await attempt(new Date(now.getTime() - 6 * 86_400_000), now, 1)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'step' });
  });
});
