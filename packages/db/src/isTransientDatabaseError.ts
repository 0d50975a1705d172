/**
 * SQLSTATE classes and codes that say "the database is briefly unavailable or asked us to try
 * again", not "this request is wrong": connection exceptions (08), serialization failures and
 * deadlocks (40001, 40P01), a lock wait that hit `lock_timeout` (55P03), too many connections
 * (53300), and the server shutting down or starting up (57P01-57P03).
 */
const transientSqlStates = new Set(['40001', '40P01', '55P03', '53300', '57P01', '57P02', '57P03']);

/** postgres.js's own codes for a connection that broke or could not be made, and Node's socket errors. */
const transientClientCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** node-postgres (graphile-worker's driver) reports a connection the server dropped without a code. */
const codelessConnectionMessages = /^(Connection terminated( unexpectedly)?|Client has encountered a connection error and is not queryable)$/;

/**
 * True when an error (or any error in its `cause` chain: drizzle wraps the driver's error) is a
 * database failure worth waiting out, so an operation resumes instead of failing.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (transientClientCodes.has(code) || transientSqlStates.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (code === undefined && current instanceof Error && codelessConnectionMessages.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
