import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isErrorCode, type ErrorCode } from './errorCodes.ts';

/** Options for {@link createErrorFormatter}. */
export interface ErrorFormatterOptions {
  /** In production, unknown errors are masked and stack traces removed. */
  production: boolean;
  /** Called with every error that is masked, so the real cause reaches the logs. */
  onMasked?: (error: unknown) => void;
  /**
   * Recognises an unregistered error that is nevertheless a known condition (a database that is
   * restarting: UNAVAILABLE), so the client gets that code and a generic message instead of
   * INTERNAL_SERVER_ERROR. The cause still reaches `onMasked`.
   */
  classify?: (error: unknown) => { code: ErrorCode; message: string } | undefined;
}

const passThroughCodes = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST']);

/**
 * Builds Apollo Server's `formatError`: registered codes pass through with their message; anything
 * else (a SQL error, a bug) becomes INTERNAL_SERVER_ERROR with a generic message in production.
 */
export function createErrorFormatter(options: ErrorFormatterOptions) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const code = formatted.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') return withoutStack(formatted, options.production);
    if (typeof code === 'string' && passThroughCodes.has(code)) return withoutStack(formatted, options.production);
    options.onMasked?.(unwrap(error));
    const known = options.classify?.(unwrap(error));
    if (known) return { message: known.message, locations: formatted.locations, path: formatted.path, extensions: { code: known.code } };
    if (!options.production) {
      return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' } };
    }
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

/** graphql-js's "Did you mean …?" hints name schema members; production leaves them out. */
const suggestion = /\s*Did you mean [^?]*\?/g;

function withoutStack(formatted: GraphQLFormattedError, production: boolean): GraphQLFormattedError {
  if (!production) return formatted;
  const message = formatted.message.replace(suggestion, '');
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return { ...formatted, message };
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, message, extensions };
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
