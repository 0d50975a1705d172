import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { createNovaCronClient, CreateVmDocument, DeleteVmDocument, StopVmDocument, VmEventsDocument, waitForOperation } from '@novacron/sdk';
import { createTestDatabase, scrapeMetrics, startOtlpReceiver, waitFor, type OtlpReceiver, type Scrape, type TestDatabase } from '@novacron/testing';
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
  const env = {
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
  vms = await spawnService(vmsEntry, { ...env, VMS_PORT: '0' }, 'vms subgraph listening');
  worker = await spawnService(workerEntry, env, 'operation worker started');
  gateway = await spawnGateway({ ...env, VMS_URL: vms.url });
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), worker?.stop()]);
  await vms?.stop();
  await receiver?.close();
  await database?.drop();
  await rm(keysDir, { recursive: true, force: true });
});

describe('observability of the platform', () => {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const scrapes: Record<string, Scrape> = {};

  it('counts a create, a stop and a delete in every process and exports them as valid Prometheus text', async () => {
    const traced = createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${clientSpanId}-01` } });
    const client = createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}` } });
    const subscriptions = subscriptionsClient(gateway.url, { token });
    const events = collect(subscriptions, VmEventsDocument, {});
    await waitFor(async () => (await scrapeMetrics(gateway.metricsUrl)).sum('novacron_graphql_active_subscriptions') === 1, { description: 'the subscription to be counted' });
    const { createVM } = await traced.request(CreateVmDocument, { input: createVmInput() });
    await waitForOperation(client, createVM.id, { intervalMs: 50 });
    const vmId = createVM.vm?.id ?? '';
    // A running VM is billed: the run rate is its list price per hour.
    const running = await scrapeMetrics(vms.metricsUrl);
    const price = loadCatalog().find('aws', 'us-east-1', 't3.micro')?.priceHourUsd;
    expect(price).toBeGreaterThan(0);
    expect(running.sum('novacron_infrastructure_cost_usd', { provider: 'aws', region: 'us-east-1', instance_type: 't3.micro', cost_type: 'hourly_rate' })).toBeCloseTo(price ?? 0, 10);
    expect(running.sum('novacron_operation_queue_depth')).toBe(0);
    const { stopVM } = await client.request(StopVmDocument, { id: vmId });
    await waitForOperation(client, stopVM.id, { intervalMs: 50 });
    const { deleteVM } = await client.request(DeleteVmDocument, { id: vmId });
    await waitForOperation(client, deleteVM.id, { intervalMs: 50 });
    await events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.status === 'DELETED'));

    for (const [name, url] of [['gateway', gateway.metricsUrl], ['vms', vms.metricsUrl], ['worker', worker.metricsUrl]] as const) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      scrapes[name] = await scrapeMetrics(url);
      const checked = await promtoolCheckMetrics(scrapes[name].text);
      expect(checked, `promtool check metrics on the ${name} scrape:\n${checked.output}`).toMatchObject({ code: 0 });
    }
    const { gateway: gatewayScrape, vms: vmsScrape, worker: workerScrape } = scrapes as Record<string, Scrape>;
    for (const operation of ['create', 'stop', 'delete']) {
      expect(workerScrape?.sum('novacron_vm_operations_total', { operation, provider: 'aws', region: 'us-east-1', status: 'succeeded' })).toBe(1);
      expect(workerScrape?.sum('novacron_operation_duration_seconds_count', { operation, provider: 'aws' })).toBe(1);
    }
    expect(workerScrape?.sum('novacron_vm_operations_total', { status: 'failed' })).toBe(0);
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
    // Deleted: nothing billed any more.
    expect(vmsScrape?.sum('novacron_infrastructure_cost_usd')).toBe(0);
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
});
