import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { createNovaCronClient, CreateVmDocument, DeleteVmDocument, StopVmDocument, VmCostDocument, VmEventsDocument, waitForOperation } from '@novacron/sdk';
import { createTestDatabase, freePort, scrapeMetrics, startOtlpReceiver, waitFor, type OtlpReceiver, type ReceivedSpan, type Scrape, type TestDatabase } from '@novacron/testing';
import { readSubgraphManifest } from '@novacron/subgraph-kit/manifest';
import { collect, createVmInput, spawnGateway, spawnService, subscriptionsClient, type GatewayProcess, type ServiceProcess } from '../src/index.ts';

const vmsEntry = fileURLToPath(import.meta.resolve('@novacron/vms/main'));
const workerEntry = fileURLToPath(import.meta.resolve('@novacron/vms/worker-main'));

/** `promtool check metrics` over one scrape: exit code and what it said. */
function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: stdout + stderr });
    });
    child.stdin?.end(text);
  });
}

let database: TestDatabase;
let receiver: OtlpReceiver;
let keysDir: string;
let vms: ServiceProcess;
/** The other subgraphs of the manifest by name: vms calls placement and billing on createVM. */
const others = new Map<string, ServiceProcess>();
let worker: ServiceProcess;
let gateway: GatewayProcess;
let token: string;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startOtlpReceiver();
  keysDir = await mkdtemp(join(tmpdir(), 'novacron-keys-'));
  const keys = await ensureDevelopmentKeys(keysDir);
  token = await signDevelopmentToken({ keys, tenant: 'default', roles: ['admin'], subject: 'observer' });
  // Every process exports its spans to the in-test collector as OTLP/HTTP JSON, quickly.
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    NOVACRON_KEYS_DIR: keysDir,
    NOVACRON_DEV: '1',
    SIM_LATENCY_MS: '20-60',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    WORKER_POLL_INTERVAL_MS: '200',
    WORKER_RETRY_BASE_DELAY_MS: '20',
    RATE_LIMIT_POINTS: '1000000',
  };
  // Every subgraph of the manifest runs, each on a free port it is told up front (they call each other).
  const { subgraphs } = readSubgraphManifest();
  const ports = Object.fromEntries(await Promise.all(subgraphs.map(async (entry) => [entry.name, String(await freePort())] as const)));
  Object.assign(env, Object.fromEntries(subgraphs.map((entry) => [`${entry.name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[entry.name]}/graphql`])));
  vms = await spawnService(vmsEntry, { ...env, VMS_PORT: ports.vms as string }, 'vms subgraph listening');
  for (const entry of subgraphs.filter((candidate) => candidate.name !== 'vms')) {
    // Placement exports its spans as OTLP/HTTP protobuf, the other processes as JSON: both protocols in one run.
    const protocol: Record<string, string> = entry.name === 'placement' ? { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } : {};
    others.set(entry.name, await spawnService(entry.entry, { ...env, ...protocol, [`${entry.name.toUpperCase()}_PORT`]: ports[entry.name] as string }, `${entry.name} subgraph listening`));
  }
  worker = await spawnService(workerEntry, env, 'operation worker started');
  gateway = await spawnGateway({ ...env, VMS_URL: vms.url });
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), worker?.stop()]);
  await Promise.all([...others.values()].map((service) => service.stop()));
  await vms?.stop();
  await receiver?.close();
  await database?.drop();
  await rm(keysDir, { recursive: true, force: true });
});

describe('observability of the platform', () => {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const vmName = `traced-${randomBytes(4).toString('hex')}`;
  const scrapes: Record<string, Scrape> = {};

  it('counts a create, a stop and a delete in every process and exports them as valid Prometheus text', async () => {
    const traced = createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${clientSpanId}-01` } });
    const client = createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}` } });
    const subscriptions = subscriptionsClient(gateway.url, { token });
    const events = collect(subscriptions, VmEventsDocument, {});
    await waitFor(async () => (await scrapeMetrics(gateway.metricsUrl)).sum('novacron_graphql_active_subscriptions') === 1, { description: 'the subscription to be counted' });
    const { createVM } = await traced.request(CreateVmDocument, { input: createVmInput({ name: vmName }) });
    await waitForOperation(client, createVM.id, { intervalMs: 50 });
    const vmId = createVM.vm?.id ?? '';
    expect((await scrapeMetrics(vms.metricsUrl)).sum('novacron_operation_queue_depth')).toBe(0);
    // A running VM is billed: billing exports what its projection says the VM costs per hour.
    const price = loadCatalog().find('aws', 'us-east-1', 't3.micro')?.priceHourUsd ?? 0;
    expect(price).toBeGreaterThan(0);
    const cost = await waitFor(async () => {
      const { vm } = await client.request(VmCostDocument, { id: vmId });
      return vm && Number(vm.cost.hourlyRate) > price ? vm.cost : undefined;
    }, { description: 'billing to follow the VM to RUNNING' });
    const billing = others.get('billing') as ServiceProcess;
    const costLabels = { provider: 'aws', region: 'us-east-1', instance_type: 't3.micro' };
    const billed = await scrapeMetrics(billing.metricsUrl);
    expect(billed.sum('novacron_infrastructure_cost_usd', costLabels)).toBeCloseTo(Number(cost.hourlyRate), 9);
    expect(billed.sum('novacron_infrastructure_cost_usd', { ...costLabels, cost_type: 'compute_hourly' })).toBeCloseTo(Number(cost.computeHourly), 9);
    expect(billed.sum('novacron_infrastructure_cost_usd', { ...costLabels, cost_type: 'disk_hourly' })).toBeGreaterThan(0);
    const { stopVM } = await client.request(StopVmDocument, { id: vmId });
    await waitForOperation(client, stopVM.id, { intervalMs: 50 });
    const { deleteVM } = await client.request(DeleteVmDocument, { id: vmId });
    await waitForOperation(client, deleteVM.id, { intervalMs: 50 });
    await events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.status === 'DELETED'));

    // Billing's projection follows the delete: nothing is billed any more.
    await waitFor(async () => (await scrapeMetrics((others.get('billing') as ServiceProcess).metricsUrl)).sum('novacron_infrastructure_cost_usd') === 0, { description: 'billing to stop billing the deleted VM' });

    const processes = [['gateway', gateway.metricsUrl], ['vms', vms.metricsUrl], ['worker', worker.metricsUrl], ...[...others].map(([name, service]) => [name, service.metricsUrl])] as const;
    for (const [name, url] of processes) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      scrapes[name] = await scrapeMetrics(url);
      const checked = await promtoolCheckMetrics(scrapes[name].text);
      expect(checked, `promtool check metrics on the ${name} scrape:\n${checked.output}`).toMatchObject({ code: 0 });
    }
    // Bounded labels: no VM or operation id, no VM name, in any series of any process.
    const ids = [vmId, createVM.id, stopVM.id, deleteVM.id, vmName];
    for (const [name, scrape] of Object.entries(scrapes)) {
      const leaked = scrape.samples.filter((sample) => Object.values(sample.labels).some((value) => ids.some((id) => value.includes(id)) || /[0-9a-f]{8}-[0-9a-f]{4}-/.test(value)));
      expect(leaked, `ids as label values in the ${name} scrape`).toEqual([]);
    }
    const { gateway: gatewayScrape, vms: vmsScrape, worker: workerScrape } = scrapes as Record<string, Scrape>;
    for (const operation of ['create', 'stop', 'delete']) {
      expect(workerScrape?.sum('novacron_vm_operations_total', { operation, provider: 'aws', region: 'us-east-1', status: 'succeeded' })).toBe(1);
      expect(workerScrape?.sum('novacron_operation_duration_seconds_count', { operation, provider: 'aws' })).toBe(1);
    }
    expect(workerScrape?.sum('novacron_vm_operations_total', { status: 'failed' })).toBe(0);
    const buckets = workerScrape?.samples.filter((sample) => sample.name === 'novacron_operation_duration_seconds_bucket' && sample.labels.operation === 'create').map((sample) => sample.labels.le);
    expect(buckets).toEqual(['0.1', '0.5', '1', '2', '5', '10', '30', '60', '300', '+Inf']);
    expect(workerScrape?.sum('novacron_provider_api_calls_total', { provider: 'aws', call: 'create' })).toBe(1);
    expect(workerScrape?.sum('novacron_provider_api_calls_total', { provider: 'aws', call: 'get' })).toBeGreaterThan(0);
    expect(workerScrape?.sum('novacron_provider_api_call_duration_seconds_count', { provider: 'aws', call: 'delete' })).toBe(1);
    expect(workerScrape?.sum('novacron_system_health_score', { component: 'vms-worker' })).toBe(100);
    expect(workerScrape?.sum('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    for (const name of ['CreateVM', 'StopVM', 'DeleteVM']) {
      expect(gatewayScrape?.sum('novacron_graphql_request_duration_seconds_count', { operation_type: 'mutation', operation_name: name })).toBe(1);
    }
    expect(gatewayScrape?.sum('novacron_subgraph_fetch_duration_seconds_count', { subgraph: 'vms' })).toBeGreaterThanOrEqual(3);
    expect(gatewayScrape?.sum('novacron_graphql_errors_total')).toBe(0);
    // Ready and error-free, so at least 50 whatever the delivery lag (its penalty is capped at 50) on a busy machine.
    const gatewayHealth = gatewayScrape?.sum('novacron_system_health_score', { component: 'gateway' }) ?? 0;
    expect(gatewayHealth).toBeGreaterThanOrEqual(50);
    expect(gatewayHealth).toBeLessThanOrEqual(100);
    expect(gatewayScrape?.sum('novacron_graphql_active_subscriptions')).toBe(1);
    expect(gatewayScrape?.sum('novacron_websocket_connections')).toBe(1);
    // Every event the subscriber received was timed from its commit.
    expect(gatewayScrape?.sum('novacron_event_delivery_lag_seconds_count')).toBe(events.results.length);
    expect(gatewayScrape?.sum('novacron_slow_consumer_drops_total')).toBe(0);
    events.stop();
    await subscriptions.dispose();

    expect(vmsScrape?.sum('novacron_graphql_request_duration_seconds_count', { operation_type: 'mutation' })).toBe(3);
    expect(vmsScrape?.sum('novacron_operation_queue_depth', { status: 'QUEUED' })).toBe(0);
    expect(vmsScrape?.sum('novacron_operation_queue_depth', { status: 'RUNNING' })).toBe(0);
    expect(vmsScrape?.samples.some((sample) => sample.name === 'novacron_operation_queue_depth')).toBe(true);
    expect(vmsScrape?.sum('novacron_system_health_score', { component: 'vms' })).toBe(100);
    // The cost gauge is billing's alone.
    expect(vmsScrape?.samples.some((sample) => sample.name === 'novacron_infrastructure_cost_usd')).toBe(false);
    expect(scrapes.billing?.samples.some((sample) => sample.name === 'novacron_system_health_score')).toBe(true);
  });

  it('follows one createVM from the client through the gateway and subgraph to the worker and its provider call', async () => {
    const spans = await waitFor(() => {
      const received = receiver.spans();
      return received.some((span) => span.service === 'vms-worker' && span.name === 'operation CREATE' && span.links.some((link) => link.traceId === traceId)) && received;
    }, { timeoutMs: 30_000, description: 'the worker span of the traced createVM' });
    const inTrace = spans.filter((span) => span.traceId === traceId);
    const gatewayServer = inTrace.find((span) => span.service === 'gateway' && span.name === 'POST /graphql');
    expect(gatewayServer?.parentSpanId).toBe(clientSpanId);
    const subgraphServer = inTrace.find((span) => span.service === 'vms' && span.name === 'POST /graphql');
    expect(subgraphServer, 'the subgraph continues the gateway trace').toBeDefined();
    // The subgraph's server span descends from the gateway's (through its fetch span).
    const byId = new Map(inTrace.map((span) => [span.spanId, span]));
    let ancestor = subgraphServer;
    while (ancestor && ancestor.service !== 'gateway') ancestor = byId.get(ancestor.parentSpanId);
    expect(ancestor?.service).toBe('gateway');
    const enqueue = inTrace.find((span) => span.service === 'vms' && span.name === 'enqueue CREATE');
    expect(enqueue).toBeDefined();
    // The graphql instrumentation, enabled before the subgraph's modules loaded, traces its root resolver.
    expect(inTrace.filter((span) => span.service === 'vms').map((span) => span.name)).toContain('graphql.resolve createVM');

    const execution = spans.find((span) => span.service === 'vms-worker' && span.name === 'operation CREATE' && span.links.some((link) => link.traceId === traceId));
    expect(execution?.links).toContainEqual({ traceId, spanId: enqueue?.spanId });
    const provision = spans.find((span) => span.name === 'step provision' && span.parentSpanId === execution?.spanId);
    expect(provision).toBeDefined();
    const providerCall = spans.find((span) => span.name === 'provider aws.create' && span.parentSpanId === provision?.spanId);
    expect(providerCall?.traceId).toBe(execution?.traceId);
  });

  it('puts the SQL of the subgraph and of the worker steps in the trace, without parameter values', async () => {
    const spans = receiver.spans();
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const descendsFrom = (span: ReceivedSpan, ancestorId: string | undefined) => {
      for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) if (parent.spanId === ancestorId) return true;
      return false;
    };
    const isSql = (span: ReceivedSpan) => span.attributes['db.system.name'] === 'postgresql';
    const subgraphServer = spans.find((span) => span.traceId === traceId && span.service === 'vms' && span.name === 'POST /graphql');
    const subgraphSql = spans.filter((span) => isSql(span) && span.service === 'vms' && descendsFrom(span, subgraphServer?.spanId));
    // The createVM resolver writes the VM, its operation and its event: one statement (`with input as (…) insert …`, batched).
    const insert = subgraphSql.find((span) => /\binsert into vms\.operations\b/i.test(String(span.attributes['db.query.text'])));
    expect(insert, `SQL spans under the subgraph span: ${subgraphSql.map((span) => span.name).join(', ')}`).toBeDefined();
    expect(insert).toMatchObject({ kind: 3, traceId, attributes: { 'db.namespace': new URL(database.url).pathname.slice(1), 'server.address': expect.any(String) } });
    expect(insert?.attributes['db.query.text']).toMatch(/\$1/);
    // The VM's name is a parameter: it appears in no span.
    expect(JSON.stringify(subgraphSql.map((span) => span.attributes))).not.toContain(vmName);

    const execution = spans.find((span) => span.service === 'vms-worker' && span.name === 'operation CREATE' && span.links.some((link) => link.traceId === traceId));
    const steps = spans.filter((span) => span.service === 'vms-worker' && span.name.startsWith('step ') && span.parentSpanId === execution?.spanId);
    expect(steps.length).toBeGreaterThan(0);
    const stepSql = spans.filter((span) => isSql(span) && span.service === 'vms-worker' && steps.some((step) => descendsFrom(span, step.spanId)));
    expect(stepSql.length).toBeGreaterThan(0);
    expect(stepSql.every((span) => span.traceId === execution?.traceId && span.kind === 3)).toBe(true);
  });

  it('exports with OTLP/HTTP protobuf as well as JSON', () => {
    const traces = receiver.requests.filter((request) => request.path === '/v1/traces');
    expect(traces.some((request) => request.contentType.startsWith('application/json'))).toBe(true);
    // Only placement speaks protobuf: its service name travels as a protobuf string.
    const protobuf = traces.filter((request) => request.contentType === 'application/x-protobuf');
    expect(protobuf.length).toBeGreaterThan(0);
    expect(Buffer.concat(protobuf.map((request) => request.body)).includes(Buffer.from('placement'))).toBe(true);
  });

  it('keeps every process\'s series bounded after 1,000 more VMs with distinct names and labels', async () => {
    const client = createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}` } });
    const catalog = loadCatalog();
    const shapes = ['us-east-1', 'us-west-2', 'eu-west-1'].flatMap((region) => ['t3.micro', 't3.small'].map((instanceType) => ({ region, instanceType })));
    const priced = shapes.filter((shape) => catalog.find('aws', shape.region, shape.instanceType));
    expect(priced.length).toBeGreaterThanOrEqual(4);
    const count = 1_000;
    const created: string[] = [];
    const batch = randomBytes(3).toString('hex');
    // 20 clients at a time, like a busy team: each VM its own name and label values.
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let index = next++; index < count; index = next++) {
          const shape = priced[index % priced.length] as { region: string; instanceType: string };
          const { createVM } = await client.request(CreateVmDocument, { input: createVmInput({ ...shape, name: `card-${batch}-${index}`, labels: { build: `${batch}-${index}` } }) });
          created.push(createVM.vm?.id ?? '', createVM.id);
        }
      }),
    );
    const workerCreates = async () => (await scrapeMetrics(worker.metricsUrl)).sum('novacron_vm_operations_total', { operation: 'create' });
    await waitFor(async () => (await workerCreates()) === count + 1, { timeoutMs: 400_000, intervalMs: 1_000, description: 'the worker to finish 1,000 creates' });
    // Billing's projection follows: every live VM of every shape is billed.
    const billing = others.get('billing') as ServiceProcess;
    await waitFor(async () => (await scrapeMetrics(billing.metricsUrl)).samples.filter((sample) => sample.name === 'novacron_infrastructure_cost_usd' && sample.labels.cost_type === 'compute_hourly' && sample.value > 0).length === priced.length, { timeoutMs: 120_000, intervalMs: 500, description: 'billing to bill every shape' });

    const ids = new Set(created);
    const processes = [['gateway', gateway.metricsUrl], ['vms', vms.metricsUrl], ['worker', worker.metricsUrl], ...[...others].map(([name, service]) => [name, service.metricsUrl])] as const;
    for (const [name, url] of processes) {
      const scrape = await scrapeMetrics(url);
      const own = scrape.samples.filter((sample) => sample.name.startsWith('novacron_'));
      // One series per VM would be 1,000 at least; bounded labels keep each process far below.
      expect(own.length, `novacron_ series in the ${name} scrape`).toBeLessThan(count / 2);
      const leaked = own.filter((sample) => Object.values(sample.labels).some((value) => ids.has(value) || value.includes(`card-${batch}`) || value.includes(`${batch}-`)));
      expect(leaked, `VM ids, names or label values as labels in the ${name} scrape`).toEqual([]);
      const checked = await promtoolCheckMetrics(scrape.text);
      expect(checked, `promtool check metrics on the ${name} scrape:\n${checked.output}`).toMatchObject({ code: 0 });
      if (name === 'billing') {
        expect(own.filter((sample) => sample.name === 'novacron_infrastructure_cost_usd')).toHaveLength(2 * priced.length);
      }
      if (name === 'worker') {
        // One series per region and final status however many VMs: three regions, two statuses at most.
        expect(own.filter((sample) => sample.name === 'novacron_vm_operations_total' && sample.labels.operation === 'create').length).toBeLessThanOrEqual(3 * 2);
      }
    }
  }, 600_000);
});
