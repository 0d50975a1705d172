import type { IncomingMessage, Server } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { GraphQLError, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppError } from '@novacron/errors';
import type { Logger } from '@novacron/server-kit';
import type { OperationGuard } from '../security/createOperationGuard.ts';
import { clientAddress, withoutHttp } from '../security/createRequestLimits.ts';
import type { PreparedSubscription, SubscriptionEngine } from './createSubscriptionEngine.ts';
import type { SubscriberScope } from './readStreamDeclarations.ts';
import { createExpiryTimers } from './createExpiryTimers.ts';
import { startKeepAlive } from './startKeepAlive.ts';

/** Limits of the WebSocket transport. */
export interface WebSocketLimits {
  maxSubscriptionsPerConnection: number;
  /** Open sockets one client address may hold; more are refused at the upgrade with HTTP 429. */
  maxConnectionsPerAddress: number;
  /** Authenticated sockets one tenant may hold; more are closed with 4403 and a reason. */
  maxConnectionsPerTenant: number;
  /** Largest message a client may send, in bytes; a larger one closes the socket with 4400. */
  maxMessageBytes: number;
  /** Bytes the server may have queued for one socket before dropping it as a slow consumer. */
  maxBufferedBytes: number;
  /** How long a client has to send `connection_init`. */
  connectionInitTimeoutMs: number;
  keepAliveMs: number;
}

/** Options for {@link createWebSocketServer}. */
export interface WebSocketServerOptions {
  httpServer: Server;
  path: string;
  /** The client-facing schema operations are validated against. */
  schema: GraphQLSchema;
  engine: SubscriptionEngine;
  /** The same pre-execution checks HTTP requests get (limits, safelist). */
  guard: OperationGuard;
  /** Counts a connection attempt against its address's request budget; throws RATE_LIMITED. */
  admitAddress: (address: string) => Promise<void>;
  /** Counts an operation (query, mutation or subscription) against its tenant's request budget, as HTTP does; throws RATE_LIMITED. */
  admitTenant: (tenantId: string) => Promise<void>;
  /** Runs a query or mutation sent over the socket, as HTTP requests are run. */
  executeOperation: (document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, scope: SubscriberScope) => Promise<ExecutionResult>;
  /** Reads the caller's identity from `connection_init`; null refuses the connection (4403). */
  authenticate: (connectionParams: Record<string, unknown> | undefined, request: IncomingMessage) => Promise<SubscriberScope | null>;
  limits: WebSocketLimits;
  logger: Logger;
  production: boolean;
  /** Called with each connection's context once its `connection_init` has been accepted (tests look at what it keeps). */
  onConnected?: (extra: Readonly<ConnectionExtra>) => void;
}

/** A running WebSocket transport. */
export interface RunningWebSocketServer {
  connections(): number;
  close(): Promise<void>;
}

/** What the gateway keeps per connection, for as long as it is open (10,000 idle ones must stay cheap). */
export interface ConnectionExtra {
  socket: WebSocket;
  /** The upgrade request, until `connection_init` has been handled: nothing reads it later, and it held ≈ 1 KB of headers per socket. */
  request: IncomingMessage | null;
  scope: SubscriberScope | null;
  /** Ids of its subscriptions (an array: a connection holds few, and a Set's table cost more than its one id). */
  subscriptions: string[];
  /** Closes it unless `connection_init` arrives in time; cleared (and forgotten) when it does. */
  initTimer: NodeJS.Timeout | null;
  /** When the connection's token expires (its place in the shared expiry timers). */
  expiresAtMs: number | null;
  /** The tenant whose connection count this socket holds. */
  countedTenant: string | null;
}

interface OperationContext {
  scope: SubscriberScope;
  prepared?: PreparedSubscription;
  socket: WebSocket;
  /** The subscription's id in its `next` messages. */
  id: string;
}

/**
 * Each payload serialised once, however many subscribers it goes to: results are shared by a payload
 * group, and graphql-ws's `next` serialised the whole result again for every subscriber.
 */
const payloadTexts = new WeakMap<ExecutionResult, string>();
function payloadText(result: ExecutionResult): string {
  let text = payloadTexts.get(result);
  if (text === undefined) {
    // As graphql-ws writes a result: its fields, `errors` through GraphQLError's toJSON.
    text = JSON.stringify(result);
    payloadTexts.set(result, text);
  }
  return text;
}

/** The close reason sent to a slow consumer; clients reconnect and resume from their last cursor. */
export const slowConsumerReason = 'Slow consumer: reconnect and resume from your last cursor';

/**
 * The close code sent to a slow consumer: RFC 6455's 1013 "Try Again Later" (a temporary condition).
 * graphql-ws clients treat its 4500 as fatal and never reconnect, which left a dropped dashboard
 * stalled for good; on 1013 they reconnect, and a resumable subscription resumes after its cursor.
 */
export const slowConsumerCloseCode = 1013;

/** The close reason when a tenant holds its maximum of connections. */
export const tenantConnectionsReason = 'Too many connections for this tenant';

/**
 * graphql-ws (`graphql-transport-ws`) on the gateway's HTTP server and path. A thin adapter over
 * graphql-ws's protocol core that adds NovaCron's limits: message size, subscriptions per connection
 * and a slow-consumer policy (a socket whose unsent data passes the limit is closed with
 * {@link slowConsumerCloseCode} and a reason saying why, instead of buffering without bound;
 * graphql-ws defines no dedicated code for it and we do not invent one).
 */
export function createWebSocketServer(options: WebSocketServerOptions): RunningWebSocketServer {
  const { limits } = options;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols,
    perMessageDeflate: false,
    // A hard cap far above the limit; between the two, the adapter closes with graphql-ws's 4400.
    maxPayload: limits.maxMessageBytes * 4,
  });

  // Dashboards open thousands of identical subscriptions: parse and validate each distinct text once
  // and share the document (it was a third of the memory per idle connection).
  type Parsed = { query: string } & ({ document: DocumentNode } | { errors: readonly GraphQLError[] });
  const parsedDocuments = new LRUCache<string, Parsed>({ max: 1_000 });
  const parseAndValidate = (query: string) => {
    const cached = parsedDocuments.get(query);
    if (cached) return cached;
    let result: Parsed;
    // Coded as over HTTP (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED): an uncoded error reads as a server fault.
    try {
      const document = parse(query, { noLocation: true });
      const errors = validate(options.schema, document);
      result = errors.length > 0 ? { query, errors: errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) } : { query, document };
    } catch (error) {
      result = { query, errors: [withCode(error instanceof GraphQLError ? error : new GraphQLError('could not parse the operation'), 'GRAPHQL_PARSE_FAILED')] };
    }
    // Only ordinary-sized texts are kept, so the cache cannot be inflated with large distinct queries.
    if (query.length <= 8_192) parsedDocuments.set(query, result);
    return result;
  };

  const openByAddress = new Map<string, number>();
  const openByTenant = new Map<string, number>();
  const decrement = (counts: Map<string, number>, key: string) => {
    const left = (counts.get(key) ?? 1) - 1;
    if (left <= 0) counts.delete(key);
    else counts.set(key, left);
  };

  const closeSlow = (socket: WebSocket) => {
    if (socket.readyState === socket.OPEN) socket.close(slowConsumerCloseCode, slowConsumerReason);
  };
  const expiries = createExpiryTimers<WebSocket>((socket) => socket.close(CloseCode.Forbidden, 'Token expired'));

  const server = makeServer<Record<string, unknown> | undefined, ConnectionExtra>({
    schema: options.schema,
    // graphql-ws keeps each subscribe message for the subscription's life: a known operation text is
    // swapped for the cached copy, so identical subscriptions hold one string instead of one each.
    jsonMessageReviver: (key, value: unknown) => (key === 'query' && typeof value === 'string' ? (parsedDocuments.peek(value)?.query ?? value) : value),
    // Ours (set per connection below): graphql-ws keeps its timer for the connection's life, cleared or not.
    connectionInitWaitTimeout: 0,
    onConnect: async (ctx) => {
      // Called as soon as `connection_init` arrives, which is when graphql-ws's own timer was satisfied.
      if (ctx.extra.initTimer) clearTimeout(ctx.extra.initTimer);
      ctx.extra.initTimer = null;
      // graphql-ws keeps its context (with the `connection_init` payload: the bearer token, ≈ 0.5 KB)
      // and ours for the connection's life; once the caller is identified neither is needed.
      const { request } = ctx.extra;
      const connectionParams = ctx.connectionParams;
      ctx.extra.request = null;
      (ctx as { connectionParams?: unknown }).connectionParams = undefined;
      if (!request) return false;
      const scope = await options.authenticate(connectionParams, request);
      // graphql-ws closes a refused connection with 4403 Forbidden.
      if (!scope) return false;
      const { socket } = ctx.extra;
      // Gone while its token was checked: its close handler already ran, so it must not be counted.
      if (socket.readyState !== socket.OPEN) return false;
      if ((openByTenant.get(scope.tenantId) ?? 0) >= limits.maxConnectionsPerTenant) {
        // Closed with our reason first; graphql-ws's own 4403 "Forbidden" then finds it closing.
        socket.close(CloseCode.Forbidden, tenantConnectionsReason);
        return false;
      }
      openByTenant.set(scope.tenantId, (openByTenant.get(scope.tenantId) ?? 0) + 1);
      ctx.extra.countedTenant = scope.tenantId;
      ctx.extra.scope = scope;
      // The token is checked again when it expires: the connection ends with it, and the client
      // reconnects with a fresh token (graphql-ws clients retry on 4403).
      ctx.extra.expiresAtMs = scope.identity.expiresAt.getTime();
      expiries.add(socket, ctx.extra.expiresAtMs);
      options.onConnected?.(ctx.extra);
      return true;
    },
    onSubscribe: async (ctx, id, payload) => {
      const scope = ctx.extra.scope;
      if (!scope) return [new AppError('UNAUTHENTICATED', 'not authenticated')];
      const parsed = parseAndValidate(payload.query);
      if ('errors' in parsed) return parsed.errors;
      const { document } = parsed;
      const variables = payload.variables ?? {};
      const operationName = payload.operationName ?? undefined;
      const refused = options.guard(document, variables, operationName);
      if (refused) return [refused];
      try {
        await options.admitTenant(scope.tenantId);
      } catch (error) {
        if (error instanceof AppError) return [withoutHttp(error)];
        throw error;
      }
      const operation = document.definitions.find((definition) => definition.kind === 'OperationDefinition' && (!operationName || definition.name?.value === operationName));
      const contextValue: OperationContext = { scope, socket: ctx.extra.socket, id };
      if (operation?.kind === 'OperationDefinition' && operation.operation === 'subscription') {
        if (ctx.extra.subscriptions.length >= limits.maxSubscriptionsPerConnection) {
          return [new AppError('RATE_LIMITED', `at most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`, { limit: limits.maxSubscriptionsPerConnection })];
        }
        // Take the slot before preparing: subscribe messages are handled concurrently.
        ctx.extra.subscriptions.push(id);
        const prepared = await options.engine.prepare({ document, variables, operationName, scope });
        if (!('start' in prepared)) {
          forget(ctx.extra.subscriptions, id);
          return prepared;
        }
        contextValue.prepared = prepared;
      }
      return { schema: options.schema, document, variableValues: variables, operationName, contextValue };
    },
    subscribe: (args) => {
      const context = args.contextValue as OperationContext;
      const { prepared } = context;
      if (!prepared) return { errors: [new AppError('BAD_USER_INPUT', 'not a subscription')] };
      // graphql-ws keeps the context for the subscription's life; the prepared form is needed only to start.
      context.prepared = undefined;
      // Payloads are written here, not yielded to graphql-ws: its path cost each delivery about six
      // promises, a copy of the result and a serialisation of it (a quarter of the gateway's CPU while
      // fanning out). The message is graphql-ws's `next`, byte for byte; the iterator returned carries
      // what ends the subscription, which graphql-ws still sends (errors, `complete`) after these.
      // A stalled socket shows up as unsent bytes: the engine checks them before each delivery.
      return prepared.start(
        () => closeSlow(context.socket),
        () => context.socket.bufferedAmount > limits.maxBufferedBytes,
        (result) => {
          const { socket } = context;
          // Closing: its close handler ends the subscription.
          if (socket.readyState !== socket.OPEN) return true;
          socket.send(`{"id":${JSON.stringify(context.id)},"type":"next","payload":${payloadText(result)}}`);
          return true;
        },
      );
    },
    execute: (args) => {
      const context = args.contextValue as OperationContext;
      return options.executeOperation(args.document, (args.variableValues ?? {}) as Record<string, unknown>, args.operationName ?? undefined, context.scope);
    },
    onComplete: (ctx, id) => {
      forget(ctx.extra.subscriptions, id);
    },
  });

  // One keep-alive for all connections (a timer per socket cost a few percent of a core at 10,000),
  // pinging a slice at a time (startKeepAlive).
  const keepAlive = startKeepAlive(wss.clients, limits.keepAliveMs);
  // Listeners shared by every socket (`this` is the socket): a closure each cost memory per idle connection.
  function markAlive(this: WebSocket) {
    keepAlive.markAlive(this);
  }
  function closeOnError(this: WebSocket, error: Error) {
    options.logger.warn({ err: error }, 'WebSocket error');
    this.close(CloseCode.InternalServerError, 'Internal server error');
  }

  /**
   * The socket graphql-ws talks to. Its methods are shared by every connection (three closures per
   * socket before), and a message is handed on without awaiting it: an awaiting listener stayed
   * suspended for the subscription's whole life, holding the raw `subscribe` message's buffer.
   */
  class ProtocolSocket {
    readonly protocol: string;
    readonly socket: WebSocket;
    constructor(socket: WebSocket) {
      this.protocol = socket.protocol;
      this.socket = socket;
    }
    send(data: string): Promise<void> {
      const { socket } = this;
      return new Promise<void>((resolve, reject) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        if (socket.bufferedAmount > limits.maxBufferedBytes) {
          closeSlow(socket);
          return resolve();
        }
        socket.send(data, (error) => (error ? reject(error) : resolve()));
      });
    }
    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }
    onMessage(handle: (data: string) => Promise<void>): void {
      const { socket } = this;
      socket.on('message', (data: RawData) => {
        if (messageSize(data) > limits.maxMessageBytes) {
          socket.close(CloseCode.BadRequest, `Message larger than ${options.production ? 'the limit' : `${limits.maxMessageBytes} bytes`}`);
          return;
        }
        handle(String(data)).catch((error: unknown) => {
          options.logger.error({ err: error }, 'handling a WebSocket message failed');
          socket.close(CloseCode.InternalServerError, 'Internal server error');
        });
      });
    }
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const extra: ConnectionExtra = { socket, request, scope: null, subscriptions: [], initTimer: null, expiresAtMs: null, countedTenant: null };
    if (limits.connectionInitTimeoutMs > 0 && Number.isFinite(limits.connectionInitTimeoutMs)) {
      extra.initTimer = setTimeout(() => {
        if (extra.initTimer) socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      }, limits.connectionInitTimeoutMs);
    }
    socket.on('error', closeOnError);
    keepAlive.markAlive(socket);
    socket.on('pong', markAlive);
    const closed = server.opened(new ProtocolSocket(socket), extra);
    socket.on('close', (code, reason) => {
      if (extra.initTimer) clearTimeout(extra.initTimer);
      if (extra.expiresAtMs !== null) expiries.remove(socket, extra.expiresAtMs);
      if (extra.countedTenant) decrement(openByTenant, extra.countedTenant);
      void closed(code, String(reason));
    });
  });

  // Not a closure in onUpgrade: its context (with the request) would live as long as the socket.
  const emitConnection = (client: WebSocket, request: IncomingMessage) => wss.emit('connection', client, request);
  /** Takes one of the address's slots, released when the TCP socket closes, whichever way: refused, failed handshake or a WebSocket's end. */
  const countAddress = (socket: Duplex, address: string) => {
    openByAddress.set(address, (openByAddress.get(address) ?? 0) + 1);
    socket.on('close', () => decrement(openByAddress, address));
  };
  const onUpgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== options.path) {
      socket.destroy();
      return;
    }
    // The address's slot is taken before anything is awaited, so a burst of upgrades cannot pass the cap.
    const address = clientAddress(request);
    if ((openByAddress.get(address) ?? 0) >= limits.maxConnectionsPerAddress) return refuseUpgrade(socket, 'too many connections from this address', 1);
    countAddress(socket, address);
    try {
      await options.admitAddress(address);
    } catch (error) {
      if (!(error instanceof AppError)) options.logger.warn({ err: error }, 'admitting a WebSocket connection failed');
      const retryAfter = error instanceof AppError ? Number(error.extensions.retryAfterSeconds ?? 1) : 1;
      return refuseUpgrade(socket, error instanceof AppError ? error.message : 'try again later', retryAfter);
    }
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, emitConnection);
  };
  options.httpServer.on('upgrade', onUpgrade);

  return {
    connections: () => wss.clients.size,
    close: async () => {
      keepAlive.stop();
      expiries.clear();
      options.httpServer.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Answers an upgrade request with HTTP 429 before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, message: string, retryAfterSeconds: number): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds } }] });
  socket.end(
    `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: ${retryAfterSeconds}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

function forget(ids: string[], id: string): void {
  const at = ids.indexOf(id);
  if (at >= 0) ids.splice(at, 1);
}

function messageSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((total, chunk) => total + chunk.byteLength, 0);
  return data.byteLength;
}
