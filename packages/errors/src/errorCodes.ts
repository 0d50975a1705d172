/**
 * The one registry of error codes NovaCron puts in `extensions.code`, with the HTTP status each maps to.
 * The map is exhaustive: adding a code without a status is a type error.
 */
export const errorCodes = {
  BAD_USER_INPUT: 400,
  /** A request the endpoint does not serve as sent (a subscription over HTTP POST, an oversized body). */
  BAD_REQUEST: 400,
  /** An operation over the gateway's depth, alias, token or cost limits; rejected before execution. */
  QUERY_TOO_COMPLEX: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** A request body over the server's limit; refused before it is read in full. */
  PAYLOAD_TOO_LARGE: 413,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  /** The request would take a tenant over its vCPU quota in a provider/region; nothing was written. */
  QUOTA_EXCEEDED: 403,
  /** A create refused because it would push a BLOCK_CREATE budget past its amount this period. */
  BUDGET_EXCEEDED: 402,
  /** A resume cursor older than the event retention window: reload state, then subscribe afresh. */
  RESYNC_REQUIRED: 410,
  PROVIDER_ERROR: 502,
  /** The cloud has no capacity for the request in that region or zone; placement fails over elsewhere. */
  PROVIDER_CAPACITY: 503,
  /** The cloud refused the tenant's credentials or their permissions; an admin must fix the credentials. */
  PROVIDER_AUTH: 502,
  /** The tenant's account at the cloud is over a quota (vCPUs, instances, addresses). */
  PROVIDER_QUOTA: 409,
  UNAVAILABLE: 503,
  /**
   * The service is at its admission limit and refused the request at once instead of queueing it;
   * nothing was written. Retry after `extensions.retryAfterSeconds` (also the `Retry-After` header).
   */
  OVERLOADED: 503,
  /** createVM refused because the budget check (billing) could not be reached and the tenant fails closed. */
  BUDGET_CHECK_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
} as const satisfies Record<string, number>;

/** A code from the registry. */
export type ErrorCode = keyof typeof errorCodes;

/** The HTTP status that belongs with a code. */
export function httpStatusFor(code: ErrorCode): number {
  return errorCodes[code];
}

/** Narrows an unknown value to a registered code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
