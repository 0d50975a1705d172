import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { internalTokenHeader, type Identity, type InternalTokenSigner } from '@novacron/auth';
import { AppError, appError, httpStatusFor } from '@novacron/errors';
import type { Logger } from '@novacron/server-kit';

/** What the OTLP route needs from the gateway. */
export interface OtlpRouteOptions {
  identify(authorization: string | undefined): Promise<Identity>;
  signInternalToken: InternalTokenSigner;
  /** Counts the request against its address before the token is checked (as GraphQL does); throws RATE_LIMITED. */
  admitAddress(request: IncomingMessage): Promise<void>;
  /** Counts the request against the caller's tenant (the same limiter as GraphQL); throws RATE_LIMITED. */
  admit(identity: Identity): Promise<void>;
  /** The metrics subgraph's GraphQL URL, once the gateway knows it (undefined: not composed). */
  metricsUrl(): string | undefined;
  logger: Logger;
}

const forwardedHeaders = ['content-type', 'content-encoding', 'content-length'] as const;

/**
 * Serves OTLP/HTTP metrics (`POST /v1/metrics`) on the gateway's public port: verifies the caller's
 * bearer token like any API request and streams the export to the metrics subgraph with the
 * caller's identity in an internal token. The gateway knows nothing of OTLP; the subgraph checks,
 * stores and answers. Every other request goes to the GraphQL handler as before.
 */
export function routeOtlpMetrics(server: Server, options: OtlpRouteOptions): void {
  const [graphql] = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  if (!graphql) throw new Error('routeOtlpMetrics needs the GraphQL request handler to be installed first');
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/v1/metrics') return graphql.call(server, request, response);
    void forward(options, request, response);
  });
}

async function forward(options: OtlpRouteOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    await options.admitAddress(request);
    const identity = await options.identify(request.headers.authorization);
    await options.admit(identity);
    const target = options.metricsUrl();
    if (!target) throw appError('UNAVAILABLE', 'metrics are not served by this deployment');
    const headers: Record<string, string> = { [internalTokenHeader]: await options.signInternalToken(identity) };
    for (const name of forwardedHeaders) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(new URL('/v1/metrics', target), {
      method: request.method ?? 'POST',
      headers,
      body: request.method === 'POST' ? (Readable.toWeb(request) as ReadableStream) : undefined,
      duplex: 'half',
    } as RequestInit);
    response.statusCode = upstream.status;
    response.setHeader('content-type', upstream.headers.get('content-type') ?? 'application/json');
    response.end(Buffer.from(await upstream.arrayBuffer()));
  } catch (error) {
    const known = error instanceof AppError ? error : appError('UNAVAILABLE', 'the metrics subgraph cannot be reached', {}, error);
    if (!(error instanceof AppError)) options.logger.warn({ err: error }, 'OTLP export could not be forwarded to the metrics subgraph');
    const { code, http: _http, ...details } = known.extensions as Record<string, unknown>;
    response.statusCode = httpStatusFor(known.code);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ errors: [{ message: known.message, extensions: { code, ...details } }] }));
  }
}
