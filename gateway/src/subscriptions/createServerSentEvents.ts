import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, Kind, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/http';
import { AppError, httpStatusFor } from '@novacron/errors';
import type { Logger } from '@novacron/server-kit';
import type { OperationGuard } from '../security/createOperationGuard.ts';
import { clientAddress } from '../security/createRequestLimits.ts';
import type { SubscriptionEngine } from './createSubscriptionEngine.ts';
import type { SubscriberScope } from './readStreamDeclarations.ts';

/** Options for {@link createServerSentEvents}. */
export interface ServerSentEventsOptions {
  schema: GraphQLSchema;
  engine: SubscriptionEngine;
  guard: OperationGuard;
  /** Reads the caller from the `Authorization` header; null refuses with 401. */
  authenticate: (authorization: string | undefined) => Promise<SubscriberScope | null>;
  admitAddress: (address: string) => Promise<void>;
  admitTenant: (tenantId: string) => Promise<void>;
  /** Unsent bytes a stream may hold before it counts as a slow consumer and is closed. */
  maxBufferedBytes: number;
  /** Largest request body; a POST must declare its length within it (graphql-sse would read any). */
  maxBodyBytes: number;
  logger: Logger;
}

/** Serves one request that asked for an event stream. */
export type ServerSentEventsHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** True for a request the SSE transport serves: the GraphQL path with `Accept: text/event-stream`. */
export function wantsEventStream(request: IncomingMessage, path: string): boolean {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (pathname !== path) return false;
  // A client that also accepts a JSON answer (urql, Apollo Client: "application/graphql-response+json,
  // …, text/event-stream") is asking an ordinary query; only a client that wants nothing but a stream
  // (graphql-sse sends "text/event-stream") is subscribing over SSE.
  const types = (request.headers.accept ?? '').split(',').map((type) => type.split(';')[0]?.trim().toLowerCase());
  return types.includes('text/event-stream') && !types.some((type) => type === 'application/json' || type === 'application/graphql-response+json' || type === 'application/graphql+json');
}

/**
 * Subscriptions over HTTP with GraphQL over Server-Sent Events (`graphql-sse`, distinct connections
 * mode), for clients behind proxies that block WebSockets: a POST with `Accept: text/event-stream`
 * streams `next` events until the subscription completes or the client goes away. Same engine, same
 * checks and budgets as graphql-ws; queries and mutations stay on plain POST.
 */
export function createServerSentEvents(options: ServerSentEventsOptions): ServerSentEventsHandler {
  const refuse = (error: AppError) => {
    const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
    const body = JSON.stringify({ errors: [{ message: error.message, extensions }] });
    const retryAfter = extensions.retryAfterSeconds;
    return [
      body,
      {
        status: httpStatusFor(error.code),
        statusText: error.code,
        headers: { 'content-type': 'application/json; charset=utf-8', ...(retryAfter ? { 'retry-after': String(retryAfter) } : {}) },
      },
    ] as const;
  };
  const handler = createHandler<undefined>({
    schema: options.schema,
    // Distinct connections only: one request, one subscription, no reservation tokens to keep.
    authenticate: () => null,
    onSubscribe: async (request, params) => {
      const raw = request.raw as IncomingMessage;
      const response = request.context.res;
      try {
        await options.admitAddress(clientAddress(raw));
      } catch (error) {
        if (error instanceof AppError) return refuse(error);
        throw error;
      }
      const authorization = request.headers.get('authorization') ?? undefined;
      const scope = await options.authenticate(authorization);
      if (!scope) return refuse(new AppError('UNAUTHENTICATED', 'missing, invalid or expired bearer token'));
      try {
        await options.admitTenant(scope.tenantId);
      } catch (error) {
        if (error instanceof AppError) return refuse(error);
        throw error;
      }
      let document: DocumentNode;
      try {
        document = parse(params.query, { noLocation: true });
      } catch (error) {
        return refuse(new AppError('BAD_REQUEST', error instanceof GraphQLError ? error.message : 'could not parse the operation', { reason: 'GRAPHQL_PARSE_FAILED' }));
      }
      const [invalid] = validate(options.schema, document);
      if (invalid) return refuse(new AppError('GRAPHQL_VALIDATION_FAILED', invalid.message));
      const variables = params.variables ?? {};
      const refused = options.guard(document, variables, params.operationName);
      if (refused) return { errors: [refused] };
      const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION && (!params.operationName || definition.name?.value === params.operationName));
      if (operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'subscription') {
        return refuse(new AppError('BAD_REQUEST', 'only subscriptions are served as event streams; send queries and mutations as a plain POST'));
      }
      const prepared = await options.engine.prepare({ document, variables, operationName: params.operationName, scope });
      if (!('start' in prepared)) return { errors: [...prepared] };
      const channel = prepared.start(
        () => response.destroy(),
        () => response.writableLength > options.maxBufferedBytes,
      );
      // graphql-sse ends only what looks like a generator (next, return and throw) when the client
      // goes away; ending the channel releases the subscription at once, even between events.
      const end = async (): Promise<IteratorReturnResult<undefined>> => {
        await channel.return?.();
        return { done: true, value: undefined };
      };
      const stream: AsyncGenerator<ExecutionResult, undefined> = {
        next: () => channel.next(),
        return: end,
        throw: end,
        [Symbol.asyncIterator]: () => stream,
        [Symbol.asyncDispose]: async () => {
          await end();
        },
      };
      return stream;
    },
  });
  return async (request, response) => {
    const declared = Number(request.headers['content-length']);
    if (request.method === 'POST' && !(declared <= options.maxBodyBytes)) {
      request.resume();
      const status = Number.isNaN(declared) ? 411 : 413;
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ errors: [{ message: status === 411 ? 'Content-Length required' : 'Request body too large', extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    }
    try {
      await handler(request, response);
    } catch (error) {
      options.logger.error({ err: error }, 'serving an event stream failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      else response.end();
    }
  };
}
