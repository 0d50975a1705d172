import { parse, type DocumentNode } from 'graphql';
import type { OperationLimits } from './OperationLimits.ts';
import { queryTooComplexError } from './queryTooComplexError.ts';

/** Options for {@link parseWithLimits}. */
export interface ParseWithLimitsOptions {
  /** Put the token limit in the message; development only. Default false. */
  revealThresholds?: boolean;
}

// graphql 16.15 says "more that N tokens"; accept the corrected spelling too so an upgrade keeps working.
const tokenLimitMessage = /Document contains more th(?:at|an) \d+ tokens/;

/**
 * Parses a document, giving up as soon as the lexer has read more than `limits.maxTokens` tokens,
 * so an oversized document costs no AST. The token-limit failure becomes QUERY_TOO_COMPLEX with
 * `extensions.limit: 'tokens'`; other syntax errors are rethrown as graphql-js raised them.
 */
export function parseWithLimits(source: string, limits: Pick<OperationLimits, 'maxTokens'>, options: ParseWithLimitsOptions = {}): DocumentNode {
  try {
    // maxLexicalTokens is graphql 16.15's name for the older, deprecated `maxTokens`.
    return parse(source, { maxLexicalTokens: limits.maxTokens });
  } catch (error) {
    if (error instanceof Error && tokenLimitMessage.test(error.message)) {
      throw queryTooComplexError({ limit: 'tokens', maximum: limits.maxTokens }, options.revealThresholds ?? false);
    }
    throw error;
  }
}
