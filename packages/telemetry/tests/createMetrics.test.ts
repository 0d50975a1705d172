import { describe, expect, it } from 'vitest';
import { boundedOperationName, createMetrics, createOperationTelemetry, exportedSeriesNames, metricCatalog, startMetricsServer } from '../src/index.ts';

/** Distinct label sets of one metric family in a scrape. */
function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('createMetrics', () => {
  it('exports the product metrics with exactly the names and labels of the issue', async () => {
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    metrics.inc('vmOperations', { operation: 'create', provider: 'aws', status: 'succeeded', region: 'us-east-1' });
    metrics.observe('operationDuration', { operation: 'create', provider: 'aws' }, 3);
    metrics.set('infrastructureCost', { provider: 'aws', region: 'us-east-1', instance_type: 't3.micro', cost_type: 'compute_hourly' }, 0.0104);
    metrics.set('healthScore', { component: 'vms' }, 100);
    const text = await metrics.scrape();
    expect(text).toContain('novacron_vm_operations_total{operation="create",provider="aws",status="succeeded",region="us-east-1"} 1');
    expect(text).toContain('novacron_operation_duration_seconds_bucket{le="5",operation="create",provider="aws"} 1');
    expect(text).toContain('novacron_operation_duration_seconds_bucket{le="2",operation="create",provider="aws"} 0');
    expect(text).toContain('novacron_operation_duration_seconds_count{operation="create",provider="aws"} 1');
    expect(text).toContain('novacron_infrastructure_cost_usd{provider="aws",region="us-east-1",instance_type="t3.micro",cost_type="compute_hourly"} 0.0104');
    expect(text).toContain('novacron_system_health_score{component="vms"} 100');
    const buckets = [...text.matchAll(/novacron_operation_duration_seconds_bucket\{le="([^"]+)"/g)].map((match) => match[1]);
    expect(buckets).toEqual(['0.1', '0.5', '1', '2', '5', '10', '30', '60', '300', '+Inf']);
  });

  it('keeps label cardinality bounded after 1,000 VMs with distinct ids and names', async () => {
    const metrics = createMetrics({ service: 'test', defaultMetrics: false, maxLabelValues: 20 });
    const telemetry = createOperationTelemetry(metrics);
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    for (let index = 0; index < 1_000; index += 1) {
      // A careless caller passing a VM-specific value as a label: the bound folds it into `other`.
      await telemetry.execution(
        { id: `vm-${index}`, kind: 'CREATE', provider: 'aws', region: index % 10 === 0 ? `bogus-region-${index}` : (regions[index % 3] as string), createdAt: new Date(Date.now() - 1_500), traceContext: null },
        async () => {},
        () => ({ status: index % 7 === 0 ? 'FAILED' : 'SUCCEEDED', finishedAt: new Date() }),
      );
      metrics.observe('graphqlRequestDuration', { operation_type: 'query', operation_name: boundedOperationName(`Query${index}`, null) }, 0.01);
    }
    const text = await metrics.scrape();
    const operations = seriesOf(text, 'novacron_vm_operations_total');
    // 2 statuses × (3 real regions + 17 distinct bogus ones before the bound + `other`).
    expect(operations.length).toBeLessThanOrEqual(2 * 21);
    expect(operations.some((line) => line.includes('region="other"'))).toBe(true);
    expect(seriesOf(text, 'novacron_graphql_request_duration_seconds_count').length).toBeLessThanOrEqual(21);
    const total = operations.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(total).toBe(1_000);
    expect(text).toContain('novacron_operation_duration_seconds_count{operation="create",provider="aws"} 1000');
  });

  it('names only known operations and refuses free text as a name', () => {
    const known = new Set(['ListVms']);
    expect(boundedOperationName('ListVms', known)).toBe('ListVms');
    expect(boundedOperationName('Whatever', known)).toBe('other');
    expect(boundedOperationName(undefined, known)).toBe('anonymous');
    expect(boundedOperationName('drop table; --', null)).toBe('other');
  });

  it('reports collect-time gauges and cumulative counters at scrape time', async () => {
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    let depth = 3;
    let drops = 0;
    metrics.gaugeFromCollect('operationQueueDepth', () => [{ labels: { status: 'QUEUED' }, value: depth }]);
    metrics.counterFromTotal('slowConsumerDrops', () => drops);
    expect(await metrics.scrape()).toContain('novacron_operation_queue_depth{status="QUEUED"} 3');
    depth = 1;
    drops = 2;
    const text = await metrics.scrape();
    expect(text).toContain('novacron_operation_queue_depth{status="QUEUED"} 1');
    expect(text).toContain('novacron_slow_consumer_drops_total 2');
  });

  it('still answers a scrape when a collect-time read fails, leaving that gauge out', async () => {
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    let failing = false;
    metrics.gaugeFromCollect('operationQueueDepth', async () => {
      if (failing) throw new Error('database unreachable');
      return [{ labels: { status: 'QUEUED' }, value: 2 }];
    });
    metrics.inc('rateLimitRefusals', {});
    expect(await metrics.scrape()).toContain('novacron_operation_queue_depth{status="QUEUED"} 2');
    failing = true;
    const text = await metrics.scrape();
    expect(text).not.toContain('novacron_operation_queue_depth{');
    expect(text).toContain('novacron_rate_limit_refusals_total 1');
  });

  it('exports Node process and event-loop metrics with the service label', async () => {
    const metrics = createMetrics({ service: 'gateway' });
    const text = await metrics.scrape();
    expect(text).toMatch(/process_cpu_seconds_total\{service="gateway"\}/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds\{service="gateway"\}/);
  });

  it('lists every series a catalog metric can export', () => {
    const names = exportedSeriesNames();
    expect(names.has('novacron_operation_duration_seconds_bucket')).toBe(true);
    expect(names.has(metricCatalog.vmOperations.name)).toBe(true);
    expect(names.has('novacron_operation_duration_seconds')).toBe(false);
  });
});

describe('startMetricsServer', () => {
  it('serves the Prometheus text format on its own port', async () => {
    const metrics = createMetrics({ service: 'test' });
    metrics.inc('rateLimitRefusals', {});
    const server = await startMetricsServer({ metrics, port: 0 });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await response.text()).toContain('novacron_rate_limit_refusals_total{service="test"} 1');
      expect((await fetch(new URL('/graphql', server.url))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
