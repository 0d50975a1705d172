import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP export request as received. */
export interface OtlpRequest {
  path: string;
  contentType: string;
  body: Buffer;
}

/** A span from an OTLP/HTTP JSON export, with its resource's `service.name`. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Its attributes, string, number and boolean values as they are. */
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
}

/** An OTLP/JSON attribute value (int64 values arrive as strings). */
interface JsonAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

/** A loopback OTLP/HTTP collector for tests. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  requests: OtlpRequest[];
  /** Every span received as `http/json` so far (ids lower-case hex). */
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface JsonExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number; attributes?: { key: string; value: JsonAnyValue }[]; links?: { traceId: string; spanId: string }[] }[];
    }[];
  }[];
}

/**
 * Starts a loopback endpoint that accepts OTLP/HTTP exports (JSON or protobuf) the way a collector
 * does and keeps them, so a test can check what a process exported.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    const contentType = String(request.headers['content-type'] ?? '');
    requests.push({ path: request.url ?? '', contentType, body: Buffer.concat(chunks) });
    const json = contentType.includes('json');
    response.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
    response.end(json ? '{}' : Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hex = (id: string | undefined) => (id ?? '').toLowerCase();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests
        .filter((request) => request.path === '/v1/traces' && request.contentType.includes('json'))
        .flatMap((request) => {
          const parsed = JSON.parse(request.body.toString('utf8')) as JsonExport;
          return (parsed.resourceSpans ?? []).flatMap((resource) => {
            const service = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
            return (resource.scopeSpans ?? []).flatMap((scope) =>
              (scope.spans ?? []).map((span) => ({
                service,
                traceId: hex(span.traceId),
                spanId: hex(span.spanId),
                parentSpanId: hex(span.parentSpanId),
                name: span.name,
                kind: span.kind ?? 0,
                attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue ?? ''))])),
                links: (span.links ?? []).map((link) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
              })),
            );
          });
        }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
