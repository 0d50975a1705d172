/**
 * An error reported by a provider. `transient` errors (throttling, a lost response, a 5xx) are worth
 * retrying with backoff; permanent ones (no capacity, a bad request) fail the operation with the
 * provider's reason.
 */
export class ProviderError extends Error {
  /** The provider's own error code (`InsufficientInstanceCapacity`, `RequestLimitExceeded`, …). */
  readonly providerCode: string;
  readonly transient: boolean;

  constructor(providerCode: string, message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.providerCode = providerCode;
    this.transient = options.transient;
  }
}

/** True when a value is a ProviderError worth retrying. */
export function isTransientProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.transient;
}
