/**
 * Every NovaCron metric, once: name, type, help, labels (and buckets for histograms). The metric
 * objects, `docs/operations.md` and the dashboard check all read this list, so a name cannot drift
 * between the code that exports it and the queries that read it.
 */

/** One metric's definition. */
export interface MetricDefinition {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
}

/** Operation durations in seconds: the buckets the SLA alerts are written against. */
export const operationDurationBuckets = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300] as const;
/** GraphQL request and subgraph fetch durations in seconds. */
export const requestDurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Provider API call durations in seconds. */
export const providerCallBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
/** Event delivery lag (commit → sent to a subscriber) in seconds. */
export const eventLagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] as const;
/** Lag at each stage of a subscription delivery in seconds: fine around the 100 ms fan-out goal. */
export const stageLagBuckets = [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5] as const;

export const metricCatalog = {
  vmOperations: {
    name: 'novacron_vm_operations_total',
    type: 'counter',
    help: 'VM operations that reached a terminal state, by kind, provider, final status and region.',
    labels: ['operation', 'provider', 'status', 'region'],
  },
  operationDuration: {
    name: 'novacron_operation_duration_seconds',
    type: 'histogram',
    help: 'Time from accepting a VM operation to its terminal state (queue wait included), by kind and provider.',
    labels: ['operation', 'provider'],
    buckets: operationDurationBuckets,
  },
  infrastructureCost: {
    name: 'novacron_infrastructure_cost_usd',
    type: 'gauge',
    help: 'What the VMs that are not deleted cost per hour now, in US dollars, from the billing projection: cost_type compute_hourly (running VMs) or disk_hourly (boot disks of running and stopped VMs).',
    labels: ['provider', 'region', 'instance_type', 'cost_type'],
  },
  healthScore: {
    name: 'novacron_system_health_score',
    type: 'gauge',
    help: 'Health of a component from 0 to 100: readiness, error ratio and lag (see docs/operations.md).',
    labels: ['component'],
  },
  graphqlRequestDuration: {
    name: 'novacron_graphql_request_duration_seconds',
    type: 'histogram',
    help: 'GraphQL request duration by operation type and name (known names only, else "other").',
    labels: ['operation_type', 'operation_name'],
    buckets: requestDurationBuckets,
  },
  graphqlErrors: {
    name: 'novacron_graphql_errors_total',
    type: 'counter',
    help: 'GraphQL errors returned to callers, by error code.',
    labels: ['code'],
  },
  subgraphFetchDuration: {
    name: 'novacron_subgraph_fetch_duration_seconds',
    type: 'histogram',
    help: 'Duration of the gateway fetches to each subgraph.',
    labels: ['subgraph'],
    buckets: requestDurationBuckets,
  },
  activeSubscriptions: {
    name: 'novacron_graphql_active_subscriptions',
    type: 'gauge',
    help: 'GraphQL subscriptions being delivered by this gateway.',
    labels: [],
  },
  webSocketConnections: {
    name: 'novacron_websocket_connections',
    type: 'gauge',
    help: 'Open graphql-ws WebSocket connections on this gateway.',
    labels: [],
  },
  eventDeliveryLag: {
    name: 'novacron_event_delivery_lag_seconds',
    type: 'histogram',
    help: 'Time from an event\'s commit to its delivery to a subscriber.',
    labels: [],
    buckets: eventLagBuckets,
  },
  subscriptionStageLag: {
    name: 'novacron_subscription_stage_lag_seconds',
    type: 'histogram',
    help: 'Time from an event\'s commit to each stage of its delivery: read (the feed page reached the gateway), payload (its payload resolved for a group), sent (written to a subscriber\'s socket).',
    labels: ['stage'],
    buckets: stageLagBuckets,
  },
  slowConsumerDrops: {
    name: 'novacron_slow_consumer_drops_total',
    type: 'counter',
    help: 'Subscribers dropped because they could not keep up.',
    labels: [],
  },
  subscriptionGroups: {
    name: 'novacron_subscription_groups',
    type: 'gauge',
    help: 'Groups of identical subscriptions (same document, variables and scope) sharing one payload execution per event.',
    labels: [],
  },
  subscriptionDeliveries: {
    name: 'novacron_subscription_deliveries_total',
    type: 'counter',
    help: 'Subscription results delivered to subscribers.',
    labels: [],
  },
  subscriptionPayloadExecutions: {
    name: 'novacron_subscription_payload_executions_total',
    type: 'counter',
    help: 'Subscription payloads executed (once per event and group, however many subscribers the group has).',
    labels: [],
  },
  rateLimitRefusals: {
    name: 'novacron_rate_limit_refusals_total',
    type: 'counter',
    help: 'Requests refused by the per-tenant rate limit.',
    labels: [],
  },
  overloadRefusals: {
    name: 'novacron_overload_refusals_total',
    type: 'counter',
    help: 'Requests the gateway answered with OVERLOADED (HTTP 503), by reason: QUEUE_FULL and QUEUE_TIMEOUT (its own admission limit), SUBGRAPH (a subgraph refused).',
    labels: ['reason'],
  },
  metricsIngestRefusals: {
    name: 'novacron_metrics_ingest_refusals_total',
    type: 'counter',
    help: 'Metric samples the metrics subgraph refused to store, by source (otlp, collector) and reason code (UNKNOWN_VM, OTHER_TENANT, …).',
    labels: ['source', 'reason'],
  },
  operationQueueDepth: {
    name: 'novacron_operation_queue_depth',
    type: 'gauge',
    help: 'Unfinished VM operations by status (QUEUED, RUNNING); every replica reports the same table, so aggregate with max.',
    labels: ['status'],
  },
  leaseExpiries: {
    name: 'novacron_operation_lease_expiries_total',
    type: 'counter',
    help: 'Operations the lease sweeper found: re-driven (their worker died) or requeued (a waiting operation whose job was lost).',
    labels: ['outcome'],
  },
  operationRedrives: {
    name: 'novacron_operation_redrives_total',
    type: 'counter',
    help: 'Operations re-driven after their lease lapsed.',
    labels: [],
  },
  providerCalls: {
    name: 'novacron_provider_api_calls_total',
    type: 'counter',
    help: 'Cloud provider API calls by provider and call.',
    labels: ['provider', 'call'],
  },
  providerErrors: {
    name: 'novacron_provider_api_errors_total',
    type: 'counter',
    help: 'Cloud provider API calls that failed, by provider, call and whether the error is transient.',
    labels: ['provider', 'call', 'transient'],
  },
  providerCallDuration: {
    name: 'novacron_provider_api_call_duration_seconds',
    type: 'histogram',
    help: 'Cloud provider API call latency by provider and call.',
    labels: ['provider', 'call'],
    buckets: providerCallBuckets,
  },
} as const satisfies Record<string, MetricDefinition>;

/** The key of a metric in {@link metricCatalog}. */
export type MetricKey = keyof typeof metricCatalog;

/**
 * Names of the Node process and event-loop metrics prom-client's default collectors export
 * (`collectDefaultMetrics`), on every NovaCron process.
 */
export const defaultMetricPrefixes = ['process_', 'nodejs_'] as const;

/** Every series name a NovaCron process can export for a catalog metric (histograms: _bucket, _sum, _count). */
export function exportedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const definition of Object.values(metricCatalog) as MetricDefinition[]) {
    if (definition.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(definition.name + suffix);
    else names.add(definition.name);
  }
  return names;
}
