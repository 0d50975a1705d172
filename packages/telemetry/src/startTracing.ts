import { createRequire } from 'node:module';
import type * as InstrumentationApi from '@opentelemetry/instrumentation';
import type * as GraphQLInstrumentationModule from '@opentelemetry/instrumentation-graphql';
import type * as HttpInstrumentationModule from '@opentelemetry/instrumentation-http';
import type * as PgInstrumentationModule from '@opentelemetry/instrumentation-pg';
import type * as SdkNode from '@opentelemetry/sdk-node';

// The SDK and instrumentations are loaded only when tracing is on (synchronously, so they still come
// before the modules they patch): importing them costs about a second of start-up on this machine.
const load = createRequire(import.meta.url);

/** Tracing in this process, on or off. */
export interface Tracing {
  enabled: boolean;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/**
 * Tracing is on only when the standard OTel environment names an exporter: `OTEL_TRACES_EXPORTER`
 * (other than `none`), or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). `OTEL_SDK_DISABLED=true` turns it off regardless.
 */
export function tracingEnabled(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((name) => name.trim()).filter(Boolean) ?? [];
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) || Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let registered: InstrumentationApi.Instrumentation[] | null = null;

/**
 * Enables the instrumentations (http client, graphql, pg) when tracing is configured, so modules
 * loaded from now on are patched; spans flow once `startTracing` installs the tracer provider.
 * `@novacron/telemetry/register`, imported first by a process entry, calls it before anything else loads.
 */
export function enableInstrumentations(env: Env = process.env): void {
  if (registered || !tracingEnabled(env)) return;
  const { registerInstrumentations } = load('@opentelemetry/instrumentation') as typeof InstrumentationApi;
  const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof HttpInstrumentationModule;
  const { GraphQLInstrumentation } = load('@opentelemetry/instrumentation-graphql') as typeof GraphQLInstrumentationModule;
  const { PgInstrumentation } = load('@opentelemetry/instrumentation-pg') as typeof PgInstrumentationModule;
  registered = [
    // Our HTTP servers make their own server spans (createGraphQLHttpServer): ESM imports of
    // node:http are not patched reliably, and a second server span would only add noise.
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    // No undici (fetch) instrumentation: the gateway's subgraph fetches already have Apollo's
    // `gateway.fetch` spans and carry the context explicitly (willSendRequest); undici's own
    // injection would add a second `traceparent` header, which W3C parsing rejects.
    // Resolver spans for root fields only: one span per field of every object drowns the trace.
    new GraphQLInstrumentation({ mergeItems: true, depth: 1, ignoreTrivialResolveSpans: true }),
    // graphile-worker's queries (`pg`). NovaCron's own SQL goes through postgres.js, which this does
    // not patch: every createSql pool makes its own client spans (@novacron/db traceSql.ts).
    new PgInstrumentation({ requireParentSpan: true }),
  ];
  registerInstrumentations({ instrumentations: registered });
}

/**
 * Starts the OpenTelemetry Node SDK from the standard `OTEL_*` environment (exporter, protocol —
 * `http/protobuf` by default, `http/json` and `grpc` too —, endpoint, headers, sampler, resource),
 * with this service's name unless `OTEL_SERVICE_NAME` says otherwise. Metrics stay on Prometheus and
 * logs on stdout unless `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` are set explicitly.
 */
export function startTracing(service: string, env: Env = process.env): Tracing {
  if (!tracingEnabled(env)) return { enabled: false, shutdown: async () => {} };
  enableInstrumentations(env);
  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof SdkNode;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? service,
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
