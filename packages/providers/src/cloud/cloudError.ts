import { ProviderError, type ProviderErrorCode } from '../ProviderError.ts';

/** What a cloud error means, the column every driver's error table fills in. */
export type CloudErrorKind =
  /** Throttled: retry after the cloud's Retry-After or with backoff. */
  | 'throttled'
  /** A 5xx, a reset connection or a lost response: retry (creates stay idempotent). */
  | 'transient'
  /** No capacity in that region or zone: fail over elsewhere. */
  | 'capacity'
  | 'quota'
  | 'auth'
  /** A request field the cloud refused. */
  | 'badInput'
  | 'notFound'
  /** The instance is not in a state that allows the action. */
  | 'wrongState'
  /** A name or token already used by something else. */
  | 'conflict'
  | 'permanent';

const codeOf: Record<CloudErrorKind, ProviderErrorCode> = {
  throttled: 'PROVIDER_ERROR',
  transient: 'PROVIDER_ERROR',
  capacity: 'PROVIDER_CAPACITY',
  quota: 'PROVIDER_QUOTA',
  auth: 'PROVIDER_AUTH',
  badInput: 'BAD_USER_INPUT',
  notFound: 'NOT_FOUND',
  wrongState: 'CONFLICT',
  conflict: 'CONFLICT',
  permanent: 'PROVIDER_ERROR',
};

/** Builds the ProviderError for a classified cloud error. */
export function cloudError(
  kind: CloudErrorKind,
  providerCode: string,
  message: string,
  extras: { cause?: unknown; field?: string; retryAfterMs?: number } = {},
): ProviderError {
  return new ProviderError(providerCode, message, {
    transient: kind === 'throttled' || kind === 'transient',
    code: codeOf[kind],
    cause: extras.cause,
    field: kind === 'badInput' ? (extras.field ?? 'input') : undefined,
    retryAfterMs: extras.retryAfterMs,
  });
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Errors from the network itself (reset, refused, timed out): the request may or may not have happened. */
export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  return (
    (typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET'].includes(code)) ||
    name === 'TimeoutError' ||
    (error instanceof Error && /socket hang up|ECONNRESET|network|fetch failed/i.test(error.message))
  );
}

/** Guesses the request field a cloud's validation message names, for BAD_USER_INPUT. */
export function fieldFromMessage(message: string): string {
  if (/instance ?type|machine ?type|vm ?size|hardwareProfile|sku/i.test(message)) return 'instanceType';
  if (/image|ami/i.test(message)) return 'image';
  if (/region|zone|location|availability/i.test(message)) return 'region';
  if (/name/i.test(message)) return 'name';
  return 'input';
}
