import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { httpStatusFor, isErrorCode } from '@novacron/errors';
import { boundedOperationName, type Metrics } from './createMetrics.ts';
import type { HealthScore } from './createHealthScore.ts';

/** Options for {@link useRequestMetrics}. */
export interface RequestMetricsOptions {
  metrics: Metrics;
  /**
   * Operation names reported as themselves (the SDK's persisted operations); any other name is
   * `other`. Null: any well-formed name, still bounded by the metrics' per-label limit.
   */
  knownOperationNames?: ReadonlySet<string> | null;
  /** Fed with each request's outcome: a request with a server-side (5xx) error counts as failed. */
  health?: HealthScore;
}

/** An error code as a label: registry codes and Apollo's own SCREAMING_SNAKE codes, else `other`. */
export function errorCodeLabel(code: unknown): string {
  if (isErrorCode(code)) return code;
  return typeof code === 'string' && /^[A-Z][A-Z_]{0,39}$/.test(code) ? code : 'other';
}

function isServerFault(code: string): boolean {
  return isErrorCode(code) ? httpStatusFor(code) >= 500 : code === 'other';
}

/**
 * Apollo Server plugin: `novacron_graphql_request_duration_seconds{operation_type,operation_name}`
 * for every request and `novacron_graphql_errors_total{code}` for every error returned.
 */
export function useRequestMetrics<TContext extends BaseContext>(options: RequestMetricsOptions): ApolloServerPlugin<TContext> {
  const { metrics } = options;
  metrics.declare('graphqlRequestDuration', 'graphqlErrors');
  const known = options.knownOperationNames ?? null;
  return {
    async requestDidStart() {
      const started = performance.now();
      let operationType = 'unknown';
      let operationName = 'anonymous';
      let failed = false;
      return {
        async didResolveOperation({ operation, operationName: name }) {
          if (!operation) return;
          operationType = operation.operation;
          operationName = boundedOperationName(name ?? operation.name?.value, known);
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = errorCodeLabel(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            if (isServerFault(code)) failed = true;
            metrics.inc('graphqlErrors', { code });
          }
        },
        async willSendResponse() {
          metrics.observe('graphqlRequestDuration', { operation_type: operationType, operation_name: operationName }, (performance.now() - started) / 1000);
          options.health?.record(!failed);
        },
      };
    },
  };
}
