import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode } from 'graphql';
import * as sdk from '@novacron/sdk';
import { boundedOperationName, createHealthScore, createMetrics, startMetricsServer, useRequestMetrics, type Metrics, type RunningMetricsServer } from '@novacron/telemetry';
import type { GatewayConfig } from './config.ts';
import type { SubgraphFetch } from './createSubgraphFetch.ts';
import type { GatewayContext } from './GatewayContext.ts';
import type { RunningSubscriptions } from './subscriptions/startSubscriptions.ts';

/** The gateway's metrics and the hooks that feed them. */
export interface GatewayTelemetry {
  metrics: Metrics;
  /** Request duration by operation, errors by code, and the health score's error ratio. */
  plugin: ApolloServerPlugin<GatewayContext>;
  /** `fetcher` for one subgraph, timed into `novacron_subgraph_fetch_duration_seconds`. */
  fetcherFor(subgraph: string, fetcher: SubgraphFetch): SubgraphFetch;
  /** Observes a query answered from the response cache before Apollo (its plugin never sees it). */
  servedFromCache(operationName: string | undefined, seconds: number): void;
  /** Counts a request refused by the per-tenant rate limit. */
  rateLimited(): void;
  /** Counts a request answered with OVERLOADED (HTTP 503), by reason. */
  overloaded(reason: string): void;
  /** Reads subscriptions, sockets and slow-consumer drops from the subscription engine at scrape time. */
  observeSubscriptions(subscriptions: RunningSubscriptions): void;
  /** Observes one event's delivery lag (commit → sent). */
  delivered(committedAt: Date): void;
  /** Observes how long after its commit an event reached a stage of its delivery (read, payload, sent). */
  stageReached(stage: 'read' | 'payload' | 'sent', committedAtMs: number): void;
  /** Serves `/metrics` on the gateway's metrics port. */
  listen(): Promise<RunningMetricsServer>;
}

/** The SDK's operation names: the only names reported as themselves; others are `other`. */
function sdkOperationNames(): Set<string> {
  const names = new Set<string>();
  for (const value of Object.values(sdk)) {
    const document = value as DocumentNode;
    if (document?.kind !== Kind.DOCUMENT) continue;
    for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
  }
  return names;
}

/** Creates the gateway's telemetry; `ready` is the same check `/ready` answers with. */
export function createGatewayTelemetry(config: GatewayConfig, ready: () => Promise<boolean>): GatewayTelemetry {
  const metrics = createMetrics({ service: 'gateway' });
  metrics.declare('subgraphFetchDuration', 'rateLimitRefusals', 'overloadRefusals', 'eventDeliveryLag', 'subscriptionStageLag');
  // The worst delivery lag since the last scrape feeds the health score.
  let worstLagSeconds = 0;
  const health = createHealthScore({
    metrics,
    component: 'gateway',
    ready,
    lagSeconds: () => {
      const lag = worstLagSeconds;
      worstLagSeconds = 0;
      return lag;
    },
  });
  const knownOperationNames = sdkOperationNames();
  return {
    metrics,
    plugin: useRequestMetrics<GatewayContext>({ metrics, knownOperationNames, health }),
    servedFromCache: (operationName, seconds) => {
      // Only query results are cached, and only error-free ones.
      metrics.observe('graphqlRequestDuration', { operation_type: 'query', operation_name: boundedOperationName(operationName, knownOperationNames) }, seconds);
      health.record(true);
    },
    fetcherFor: (subgraph, fetcher) => async (url, init) => {
      const started = performance.now();
      try {
        return await fetcher(url, init);
      } finally {
        metrics.observe('subgraphFetchDuration', { subgraph }, (performance.now() - started) / 1000);
      }
    },
    rateLimited: () => metrics.inc('rateLimitRefusals', {}),
    overloaded: (reason) => metrics.inc('overloadRefusals', { reason }),
    observeSubscriptions(subscriptions) {
      metrics.gaugeFromCollect('activeSubscriptions', () => [{ labels: {}, value: subscriptions.engine.stats().subscribers }]);
      metrics.gaugeFromCollect('webSocketConnections', () => [{ labels: {}, value: subscriptions.webSocket.connections() }]);
      metrics.counterFromTotal('slowConsumerDrops', () => subscriptions.engine.stats().slowConsumersDropped);
      metrics.gaugeFromCollect('subscriptionGroups', () => [{ labels: {}, value: subscriptions.engine.stats().groups }]);
      metrics.counterFromTotal('subscriptionDeliveries', () => subscriptions.engine.stats().deliveries);
      metrics.counterFromTotal('subscriptionPayloadExecutions', () => subscriptions.engine.stats().payloadExecutions);
    },
    delivered(committedAt) {
      const lag = Math.max(0, (Date.now() - committedAt.getTime()) / 1000);
      worstLagSeconds = Math.max(worstLagSeconds, lag);
      metrics.observe('eventDeliveryLag', {}, lag);
    },
    stageReached(stage, committedAtMs) {
      metrics.observe('subscriptionStageLag', { stage }, Math.max(0, (Date.now() - committedAtMs) / 1000));
    },
    listen: () => startMetricsServer({ metrics, port: config.metricsPort, host: config.host }),
  };
}
