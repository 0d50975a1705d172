/** The limits an operation must stay within before the gateway runs any resolver. */
export interface OperationLimits {
  /** Longest chain of nested fields; a top-level field is at depth 1. */
  maxDepth: number;
  /** Aliased fields in the whole document. */
  maxAliases: number;
  /** Lexical tokens the parser reads before it gives up (names, punctuators, values; not comments). */
  maxTokens: number;
  /** Static cost estimate of one operation; see {@link measureOperation}. */
  maxCost: number;
  /** Directive usages in one operation and the fragments it spreads; unchecked when absent. */
  maxDirectives?: number;
}

/** The gateway's defaults: generous for NovaCron's own clients, fatal for generated abuse. */
export const defaultOperationLimits: Readonly<OperationLimits> = Object.freeze({
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 5000,
  maxCost: 5000,
});
