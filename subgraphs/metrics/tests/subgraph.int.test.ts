import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { project } from './support/project.ts';
import { rollUpPending } from '../src/domain/rollUpPending.ts';
import { writeSamples } from '../src/domain/writeSamples.ts';
import { start, type RunningMetricsSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { exportBody, gauge } from './support/otlpBody.ts';
import { testConfig } from './support/testConfig.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
let subgraph: RunningMetricsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let viewer: string;
let operator: string;
const acmeVm = vmHistory({ tenantId: 'acme', region: 'eu-west-1', labels: { team: 'web' } });
const otherVm = vmHistory({ tenantId: 'other' });
const hour = hoursAgo(2);

type GraphQLResponse = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(body: unknown, token: string | null = viewer): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers[internalTokenHeader] = token;
  const response = await fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify(body) });
  return (await response.json()) as GraphQLResponse;
}

async function pushOtlp(body: string | Buffer, options: { token?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const token = options.token === undefined ? operator : options.token;
  if (token) headers[internalTokenHeader] = token;
  const response = await fetch(new URL('/v1/metrics', subgraph.url), { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> & GraphQLResponse };
}

/** The refusal counter's samples on the metrics port, keyed by their labels (without `service`). */
async function scrapeRefusals(): Promise<Record<string, number>> {
  const text = await (await fetch(subgraph.metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^novacron_metrics_ingest_refusals_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = match[1]!.split(',').filter((label) => !label.startsWith('service=')).join(',');
    counts[labels] = Number(match[2]);
  }
  return counts;
}

/** What moved between two scrapes. */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).filter(([key, value]) => value !== (before[key] ?? 0)).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

const entityMetrics = (id: string, args = 'kind: CPU_PERCENT, from: $from, to: $to, step: 600') => ({
  query: `query ($representations: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $representations) { ... on VM { id metrics(${args}) { kind step points { t value } } } } }`,
  variables: { representations: [{ __typename: 'VM', id }], from: hour.toISOString(), to: plusSeconds(hour, 1800).toISOString() },
});

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  viewer = await keys.forUser('acme', 'viewer');
  operator = await keys.forUser('acme', 'operator');
  subgraph = await start(testConfig(database.url, keys.keysDir), createLogger('test', 'silent'), { background: false });
  await project(database.sql, [
    acmeVm.event('CREATED', {}, hoursAgo(5)),
    acmeVm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-acme-subgraph-01' }, hoursAgo(5)),
    otherVm.event('CREATED', {}, hoursAgo(5)),
    otherVm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-other-subgraph-01' }, hoursAgo(5)),
  ]);
  await writeSamples(database.sql, [
    { vmId: acmeVm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 60), value: 10 },
    { vmId: acmeVm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 120), value: 20 },
    { vmId: acmeVm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 1500), value: 40 },
    { vmId: otherVm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 60), value: 99 },
  ]);
  await rollUpPending(database.sql, new Date());
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

describe('metrics subgraph', () => {
  it('serves its SDL through _service, extending VM', async () => {
    const { data } = await post({ query: '{ _service { sdl } }' });
    const sdl = (data?._service as { sdl: string }).sdl;
    expect(sdl).toMatch(/type VM\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('fleetMetrics(');
  });

  it('refuses requests without the gateway’s internal token', async () => {
    const { errors } = await post({ query: '{ __typename }' }, null);
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('resolves VM.metrics through _entities with aligned buckets and nulls for gaps', async () => {
    const { data, errors } = await post(entityMetrics(acmeVm.id));
    expect(errors).toBeUndefined();
    const vm = (data?._entities as { metrics: { points: { t: string; value: number | null }[] } }[])[0]!;
    expect(vm.metrics.points).toEqual([
      { t: hour.toISOString(), value: 15 },
      { t: plusSeconds(hour, 600).toISOString(), value: null },
      { t: plusSeconds(hour, 1200).toISOString(), value: 40 },
    ]);
  });

  it('resolves another tenant’s VM to null, whatever the id', async () => {
    const { data } = await post(entityMetrics(otherVm.id));
    expect(data?._entities).toEqual([null]);
  });

  it('answers bad ranges with BAD_USER_INPUT naming the field', async () => {
    const zero = await post(entityMetrics(acmeVm.id, 'kind: CPU_PERCENT, from: $from, to: $to, step: 0'));
    expect(zero.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'step' });
    const inverted = await post(entityMetrics(acmeVm.id, 'kind: CPU_PERCENT, from: $to, to: $from, step: 60'));
    expect(inverted.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const tooMany = entityMetrics(acmeVm.id, 'kind: CPU_PERCENT, from: $from, to: $to, step: 1');
    tooMany.variables.from = hoursAgo(24 * 6).toISOString();
    const tooManyResponse = await post(tooMany);
    expect(tooManyResponse.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'step' });
  });

  it('serves fleetMetrics for the caller’s tenant only', async () => {
    const { data, errors } = await post({
      query: 'query ($from: DateTime!, $to: DateTime!) { fleetMetrics(kind: CPU_PERCENT, from: $from, to: $to, step: 1800, aggregate: MAX, groupBy: REGION) { key vmCount series { step points { value } } } }',
      variables: { from: hour.toISOString(), to: plusSeconds(hour, 1800).toISOString() },
    });
    expect(errors).toBeUndefined();
    expect(data?.fleetMetrics).toEqual([{ key: 'eu-west-1', vmCount: 1, series: { step: 1800, points: [{ value: 40 }] } }]);
  });

  it('serves latestMetrics', async () => {
    const { data } = await post({ query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on VM { latestMetrics { kind value t cursor } } } }', variables: { r: [{ __typename: 'VM', id: acmeVm.id }] } });
    const latest = (data?._entities as { latestMetrics: { kind: string; value: number; t: string }[] }[])[0]!.latestMetrics;
    expect(latest.map(({ kind, value, t }) => ({ kind, value, t }))).toEqual([{ kind: 'CPU_PERCENT', value: 40, t: plusSeconds(hour, 1500).toISOString() }]);
  });
});

describe('OTLP endpoint', () => {
  const t = plusSeconds(hour, 3000);
  const body = JSON.stringify(exportBody([{ resource: { 'host.id': 'i-acme-subgraph-01' }, metrics: [gauge('system.memory.utilization', [{ t, value: 0.5 }])] }]));
  const memory = async () => (await database.sql<{ value: number }[]>`select value from metrics.samples where vm_id = ${acmeVm.id} and kind = 'MEMORY_PERCENT'`).map((row) => row.value);

  it('stores an operator’s export (gzip too) and answers the OTLP response', async () => {
    const plain = await pushOtlp(body);
    expect(plain).toEqual({ status: 200, json: {} });
    expect(await memory()).toEqual([50]);
    const zipped = await pushOtlp(gzipSync(body), { headers: { 'content-encoding': 'gzip' } });
    expect(zipped.status).toBe(200);
  });

  it('reports refused data points as a partial success', async () => {
    const foreign = JSON.stringify(exportBody([{ resource: { 'novacron.vm.id': otherVm.id }, metrics: [gauge('system.cpu.utilization', [{ t, value: 0.5 }])] }]));
    const { status, json } = await pushOtlp(foreign);
    expect(status).toBe(200);
    expect(json.partialSuccess).toMatchObject({ rejectedDataPoints: '1' });
  });

  it('counts refused samples in Prometheus by source and reason, without VM or tenant labels', async () => {
    const before = await scrapeRefusals();
    const foreign = JSON.stringify(
      exportBody([
        { resource: { 'novacron.vm.id': otherVm.id }, metrics: [gauge('system.cpu.utilization', [{ t, value: 0.5 }, { t: plusSeconds(t, 60), value: 0.5 }])] },
        { resource: { 'host.id': 'i-nobody-knows-this-one' }, metrics: [gauge('system.cpu.utilization', [{ t, value: 0.5 }])] },
      ]),
    );
    expect((await pushOtlp(foreign)).json.partialSuccess).toMatchObject({ rejectedDataPoints: '3' });
    const after = await scrapeRefusals();
    expect(delta(before, after)).toEqual({ 'source="otlp",reason="OTHER_TENANT"': 2, 'source="otlp",reason="UNKNOWN_VM"': 1 });
    const exposition = await (await fetch(subgraph.metricsUrl)).text();
    const refusalLines = exposition.split('\n').filter((line) => line.startsWith('novacron_metrics_ingest_refusals_total'));
    expect(refusalLines.join('\n')).not.toContain(otherVm.id);
    expect(refusalLines.join('\n')).not.toContain('tenant');
  });

  it('refuses viewers, callers without a token, and malformed bodies with coded errors', async () => {
    expect((await pushOtlp(body, { token: viewer })).json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await pushOtlp(body, { token: null })).status).toBe(401);
    const malformed = await pushOtlp('{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "x", "gauge": {"dataPoints": [{"asDouble": "a"}]}}]}]}]}');
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const notJson = await pushOtlp('{nope');
    expect(notJson.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const protobuf = await pushOtlp(Buffer.from([0x0a, 0xff, 0xff, 0xff]), { headers: { 'content-type': 'application/x-protobuf' } });
    expect(protobuf.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const text = await pushOtlp('hello', { headers: { 'content-type': 'text/plain' } });
    expect(text.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content-type' });
    expect(await memory()).toEqual([50]);
  });
});
