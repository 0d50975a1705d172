// Hand-rolled: postgres.js has no OpenTelemetry instrumentation or query hooks (porsager/postgres#461
// is open); the one npm package for it (otel-instrumentation-postgres 1.0.0) is a single release that
// brings a second @opentelemetry/instrumentation (0.202 beside our 0.57), and
// @opentelemetry/instrumentation-pg patches only the `pg` driver (graphile-worker's, traced by it).
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type postgres from 'postgres';

type AnySql = postgres.Sql;

/** What postgres.js keeps on a query that the span reads (its `Query` class, not in its typings). */
interface QueryInternals {
  strings: readonly string[];
  tagged: boolean;
  /** The statement text sent, placeholders `$n` and no values; set when the query is built. */
  string?: string;
  handler: ((query: QueryInternals) => void) & { debug?: unknown };
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

const tracer = () => trace.getTracer('@novacron/db');

/** The first keyword of a statement (`SELECT`, `INSERT`, `WITH`…): `db.operation.name`. */
function operationName(text: string): string | undefined {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([a-z]+)/i.exec(text);
  return match?.[1]?.toUpperCase();
}

/** A tagged query's text before it is built: the template's strings joined by `$n`, so no value leaks. */
function templateText(query: QueryInternals): string {
  return query.tagged ? query.strings.reduce((text, part, index) => `${text}$${index}${part}`) : (query.strings[0] ?? '');
}

/**
 * Makes `query` start a client span when postgres.js runs it (not when it is built: a fragment
 * nested in another query never runs) and end it when the result or error arrives.
 */
function traceQuery(query: QueryInternals, parent: Context, server: Attributes): void {
  const run = query.handler;
  let span: Span | undefined;
  const handler: QueryInternals['handler'] = (built) => {
    const text = templateText(query);
    const operation = operationName(text);
    const namespace = server['db.namespace'];
    span = tracer().startSpan(
      operation ? `${operation} ${String(namespace ?? '')}`.trim() : 'postgresql',
      { kind: SpanKind.CLIENT, attributes: { ...server, ...(operation ? { 'db.operation.name': operation } : {}) } },
      parent,
    );
    run(built);
  };
  handler.debug = run.debug;
  query.handler = handler;
  const { resolve, reject } = query;
  query.resolve = (result) => {
    if (span) {
      span.setAttribute('db.query.text', query.string ?? templateText(query));
      span.end();
    }
    resolve(result);
  };
  query.reject = (error) => {
    if (span) {
      const code = (error as { code?: unknown } | null)?.code;
      span.setAttribute('db.query.text', query.string ?? templateText(query));
      if (typeof code === 'string') span.setAttributes({ 'db.response.status_code': code, 'error.type': code });
      else span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
      span.recordException(error instanceof Error ? error : new Error(String(error)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
    }
    reject(error);
  };
}

/** Traces a query only when it is made inside a span: background polling stays out of traces. */
function maybeTrace<T>(query: T, server: Attributes): T {
  const parent = context.active();
  if (trace.getSpan(parent)) traceQuery(query as unknown as QueryInternals, parent, server);
  return query;
}

/** Wraps the function argument of `begin`/`savepoint` so the transaction's own `sql` is traced too. */
function withTracedCallback(args: unknown[], server: Attributes): unknown[] {
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback !== 'function') return args;
  return [...args.slice(0, last), (inner: AnySql) => (callback as (sql: AnySql) => unknown)(tracedSql(inner, server))];
}

function tracedSql<T extends AnySql>(sql: T, server: Attributes): T {
  return new Proxy(sql, {
    // sql`…` builds a query; sql(value) / sql('identifier') build helpers, which are not queries.
    apply(target, thisArgument, args: unknown[]) {
      const result = Reflect.apply(target, thisArgument, args) as unknown;
      const strings = args[0] as { raw?: unknown } | undefined;
      return strings && Array.isArray(strings.raw) ? maybeTrace(result, server) : result;
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      switch (property) {
        case 'unsafe':
        case 'file':
          return (...args: unknown[]) => maybeTrace(method.apply(target, args), server);
        case 'begin':
        case 'savepoint':
          return (...args: unknown[]) => method.apply(target, withTracedCallback(args, server));
        case 'reserve':
          return async () => tracedSql((await method.apply(target, [])) as AnySql, server);
        default:
          return value;
      }
    },
  });
}

/**
 * Wraps a postgres.js pool so every query made inside an active span becomes an OpenTelemetry
 * client span, as the database semantic conventions name them: `db.system.name=postgresql`,
 * `db.namespace`, `server.address`/`server.port`, `db.operation.name`, and `db.query.text` with
 * its `$n` placeholders (parameter values are never recorded); a failed query records the error and
 * its SQLSTATE. Queries of the pool's transactions and reserved connections are traced too. With
 * tracing off (no span is ever active), the cost is one context look-up per query.
 */
export function traceSql(sql: AnySql): AnySql {
  const options = sql.options as { host?: readonly string[]; port?: readonly number[]; database?: string };
  const server: Attributes = {
    'db.system.name': 'postgresql',
    ...(options.database ? { 'db.namespace': options.database } : {}),
    ...(options.host?.[0] ? { 'server.address': options.host[0] } : {}),
    ...(options.port?.[0] ? { 'server.port': options.port[0] } : {}),
  };
  return tracedSql(sql, server);
}
