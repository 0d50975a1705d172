import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { httpStatusFor, type ErrorCode } from '@novacron/errors';
import { withServerSpan } from '@novacron/telemetry';
import type { Logger } from './createLogger.ts';

/** Options for {@link createGraphQLHttpServer}. */
export interface GraphQLHttpServerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the per-request context; throwing an AppError here answers with its code. */
  context: (request: IncomingMessage) => Promise<TContext>;
  /** `/ready` answers 200 only when this resolves true (database reachable, …). */
  ready: () => Promise<boolean>;
  logger: Logger;
  /** Largest accepted request body in bytes. */
  maxBodyBytes?: number;
  /** Extra raw endpoints by path (`/v1/metrics`), each handling the request itself (method, body, answer). */
  routes?: Record<string, (request: IncomingMessage, response: ServerResponse) => Promise<void>>;
  path?: string;
  /**
   * Answers a POST before Apollo Server parses, validates and executes it (a response cache), given the
   * JSON body: the response body (or body and extra headers), or null to let Apollo serve it. It must
   * apply the same caller checks as `context`.
   */
  answerEarly?: (request: IncomingMessage, body: unknown) => Promise<EarlyAnswer | string | null>;
  /** Serves a request for any other path (a web app, …); answering false leaves the 404. */
  handleOther?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
}

/**
 * How long (ms) a cache in front of a server may serve its answer again, when the answer can change
 * without any event or mutation of the asking tenant (a subgraph sets it, the gateway's response cache honours it).
 */
export const responseMaxAgeHeader = 'x-novacron-max-age-ms';

/** The {@link responseMaxAgeHeader} value for a bound of `ms`: whole milliseconds, never negative. */
export function formatResponseMaxAge(ms: number): string {
  return String(Math.max(0, Math.floor(ms)));
}

/** A GraphQL request as posted (`query`, `operationName`, `variables`; no `extensions`). */
export interface PostedRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** The posted request, when it is a plain one a response cache may key on (a query string, no extensions). */
export function postedRequest(body: unknown): PostedRequest | null {
  const posted = body as { query?: unknown; operationName?: unknown; variables?: unknown; extensions?: unknown };
  if (typeof posted.query !== 'string' || posted.extensions !== undefined) return null;
  if (posted.operationName !== undefined && posted.operationName !== null && typeof posted.operationName !== 'string') return null;
  if (posted.variables !== undefined && posted.variables !== null && (typeof posted.variables !== 'object' || Array.isArray(posted.variables))) return null;
  return posted as PostedRequest;
}

/** A response body served before Apollo, with headers to send beside `content-type`. */
export interface EarlyAnswer {
  body: string;
  headers?: Record<string, string>;
}

/** A listening HTTP server and how to stop it. */
export interface RunningHttpServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves an Apollo Server on plain `node:http` with `/health` (the process is up) and `/ready` (its
 * dependencies answer). A thin integration over Apollo's `executeHTTPGraphQLRequest`, so the same
 * HTTP server can later carry WebSocket upgrades.
 */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpServerOptions<TContext>): Server {
  const path = options.path ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
  return createServer(async (request, response) => {
    try {
      // The GraphQL path as sent needs no URL object (parsing one was about 2 % of a cached answer's CPU);
      // anything else is parsed, so other paths keep the URL's normalization.
      const target = request.url ?? '/';
      const queryAt = target.indexOf('?');
      if ((queryAt === -1 ? target : target.slice(0, queryAt)) === path) {
        const search = queryAt === -1 ? '' : target.slice(queryAt);
        await withServerSpan(`${request.method ?? 'GET'} ${path}`, request.headers, { 'http.request.method': request.method ?? 'GET', 'url.path': path }, () =>
          serveGraphQL(options, request, response, search, maxBodyBytes),
        );
        return;
      }
      const url = new URL(target, 'http://localhost');
      if (url.pathname === '/health') return sendJson(response, 200, { status: 'ok' });
      if (url.pathname === '/ready') {
        const ready = await options.ready().catch(() => false);
        return sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      }
      // Metrics are served on a port of their own (@novacron/telemetry), never on this public one.
      const raw = options.routes?.[url.pathname];
      if (raw) return await raw(request, response);
      if (url.pathname !== path) {
        if (options.handleOther && (await options.handleOther(request, response, url))) return;
        return sendJson(response, 404, { error: 'not found' });
      }
      // A span per GraphQL request, continuing the caller's W3C `traceparent` (a no-op when tracing is off).
      await withServerSpan(`${request.method ?? 'GET'} ${path}`, request.headers, { 'http.request.method': request.method ?? 'GET', 'url.path': path }, () =>
        serveGraphQL(options, request, response, url.search, maxBodyBytes),
      );
    } catch (error) {
      options.logger.error({ err: error }, 'request failed outside GraphQL execution');
      if (!response.headersSent) sendError(response, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else response.end();
    }
  });
}

async function serveGraphQL<TContext extends BaseContext>(
  options: GraphQLHttpServerOptions<TContext>,
  request: IncomingMessage,
  response: ServerResponse,
  search: string,
  maxBodyBytes: number,
): Promise<void> {
  const body = await readBody(request, maxBodyBytes);
  if (body === tooLarge) {
    return sendError(response, 'PAYLOAD_TOO_LARGE', 'Request body too large');
  }
  const parsed = parseBody(body, request.headers['content-type']);
  if (options.answerEarly && request.method === 'POST' && typeof parsed === 'object' && parsed !== null && acceptsJson(request.headers.accept)) {
    const answer = await options.answerEarly(request, parsed);
    if (answer !== null) {
      response.statusCode = 200;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      if (typeof answer === 'string') {
        response.end(answer);
        return;
      }
      for (const [key, value] of Object.entries(answer.headers ?? {})) response.setHeader(key, value);
      response.end(answer.body);
      return;
    }
  }
  // Apollo's header map is built only for requests Apollo serves (about 4 % of an early answer's CPU).
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const result = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: request.method?.toUpperCase() ?? 'GET', headers, search, body: parsed },
    context: () => options.context(request),
  });
  for (const [key, value] of result.headers) response.setHeader(key, value);
  response.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    response.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) response.write(chunk);
  response.end();
}

/** Starts listening and returns the URL; `close` drains keep-alive connections too. */
export async function listen(server: Server, port: number, host = '127.0.0.1', path = '/graphql'): Promise<RunningHttpServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const tooLarge = Symbol('tooLarge');

/**
 * The request body as text, or `tooLarge` past `limit` bytes (declared or received). Read with
 * `data`/`end` listeners rather than the stream's async iterator, whose per-request machinery
 * (end-of-stream, iterator, promises) was about 8 % of a cached answer's CPU.
 */
function readBody(request: IncomingMessage, limit: number): Promise<string | typeof tooLarge> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    return Promise.resolve(tooLarge);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering; the rest is drained and dropped.
      request.off('data', onData);
      request.resume();
      resolve(tooLarge);
    };
    request.on('data', onData);
    request.once('end', () => resolve(size > limit ? tooLarge : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
    // The client went away mid-body. (Checked first: an Error per request, stack and all, was about
    // a tenth of a cached answer's CPU.)
    request.once('close', () => {
      if (!request.complete) reject(new Error('request closed before its body was read'));
    });
  });
}

/** Whether an early answer's `application/json` is acceptable (else Apollo negotiates the media type). */
function acceptsJson(accept: string | undefined): boolean {
  return accept === undefined || accept.includes('application/json') || accept.includes('*/*');
}

function parseBody(body: string, contentType: string | undefined): unknown {
  if (body === '') return undefined;
  if (contentType?.startsWith('application/json')) {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}

/** A GraphQL-shaped error answered outside Apollo, with the registry's status for its code. */
function sendError(response: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(response, httpStatusFor(code), { errors: [{ message, extensions: { code } }] });
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(payload));
}
