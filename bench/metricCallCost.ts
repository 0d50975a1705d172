/**
 * What one metric call costs through `createMetrics` (packages/telemetry: the label bound that folds
 * runaway label values into `other`, then prom-client) against the same call on prom-client directly
 * with the same labels, in the same run. Every platform process makes several per request or
 * operation (request duration, subgraph fetches, operation outcomes), so the wrapper's own share is
 * what this prints.
 *
 *   node bench/metricCallCost.ts [--calls 1000000] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import { createMetrics } from '@novacron/telemetry';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } } });
const calls = Number(values.calls);
const rounds = Number(values.rounds);

const requestLabels = { operation_type: 'mutation', operation_name: 'CreateVm' };
const outcomeLabels = { operation: 'CREATE', provider: 'simulated', status: 'SUCCEEDED', region: 'us-east-1' };

/** CPU nanoseconds per iteration of `body` (one histogram observation and one counter increment), after a warm-up. */
function measure(body: () => void): number {
  for (let index = 0; index < calls / 10; index += 1) body();
  const start = process.cpuUsage();
  for (let index = 0; index < calls; index += 1) body();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

function wrapped(): number {
  const metrics = createMetrics({ service: 'bench', defaultMetrics: false });
  return measure(() => {
    metrics.observe('graphqlRequestDuration', requestLabels, 0.012);
    metrics.inc('vmOperations', outcomeLabels);
  });
}

function direct(): number {
  const registry = new Registry();
  const histogram = new Histogram({ name: 'request_seconds', help: 'h', labelNames: ['operation_type', 'operation_name'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const counter = new Counter({ name: 'outcomes_total', help: 'c', labelNames: ['operation', 'provider', 'status', 'region'], registers: [registry] });
  return measure(() => {
    histogram.observe({ ...requestLabels }, 0.012);
    counter.inc({ ...outcomeLabels });
  });
}

process.stdout.write(`metric call cost: ${calls.toLocaleString('en-US')} × (one histogram observation + one counter increment), ${rounds} rounds, Node ${process.version}\n`);
for (let round = 1; round <= rounds; round += 1) {
  const baseline = direct();
  const ours = wrapped();
  process.stdout.write(
    `round ${round}: prom-client directly ${baseline.toFixed(0)} ns, through createMetrics ${ours.toFixed(0)} ns (the bound's own ${(ours - baseline).toFixed(0)} ns, ${(ours / baseline).toFixed(2)} ×)\n`,
  );
}
