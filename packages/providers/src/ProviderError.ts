import type { ErrorCode } from '@novacron/errors';

/** What a provider error means to NovaCron, whatever the cloud called it. */
export type ProviderErrorCode = Extract<ErrorCode, 'PROVIDER_ERROR' | 'PROVIDER_CAPACITY' | 'PROVIDER_AUTH' | 'PROVIDER_QUOTA' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT'>;

/** Options for a {@link ProviderError}. */
export interface ProviderErrorOptions {
  transient: boolean;
  cause?: unknown;
  /** NovaCron's code for the error (from the one registry); `PROVIDER_ERROR` when omitted. */
  code?: ProviderErrorCode;
  /** For `BAD_USER_INPUT`: the request field at fault (`instanceType`, `image`, `region`, `name`). */
  field?: string;
  /** For throttling: how long the cloud asked callers to wait before retrying. */
  retryAfterMs?: number;
}

/**
 * An error reported by a provider. `transient` errors (throttling, a lost response, a 5xx) are worth
 * retrying with backoff; permanent ones (no capacity, a bad request) fail the operation with the
 * provider's reason. `code` classifies it (capacity, auth, quota, bad input) so callers act on the
 * meaning — placement fails over on `PROVIDER_CAPACITY` — without knowing each cloud's codes.
 */
export class ProviderError extends Error {
  /** The provider's own error code (`InsufficientInstanceCapacity`, `RequestLimitExceeded`, …). */
  readonly providerCode: string;
  readonly transient: boolean;
  readonly code: ProviderErrorCode;
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(providerCode: string, message: string, options: ProviderErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.providerCode = providerCode;
    this.transient = options.transient;
    this.code = options.code ?? 'PROVIDER_ERROR';
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when a value is a ProviderError worth retrying. */
export function isTransientProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.transient;
}
