import { Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { AppError } from '@novacron/errors';
import { countAliases } from './countAliases.ts';
import { measureOperation, type MeasureOperationOptions } from './measureOperation.ts';
import type { OperationLimits } from './OperationLimits.ts';
import { queryTooComplexError, type LimitBreach } from './queryTooComplexError.ts';

/** Options for {@link checkOperationLimits}. */
export interface CheckOperationLimitsOptions extends MeasureOperationOptions {
  /** Put limits and measured values in messages and extensions; development only. */
  revealThresholds: boolean;
  /** The operation the request runs; when absent or unknown, every operation in the document is checked. */
  operationName?: string | null;
}

/**
 * Checks a parsed document against depth, alias, cost and (optionally) directive limits before
 * anything executes. Returns one QUERY_TOO_COMPLEX error per breached limit (with
 * `extensions.limit`), or an empty array when the document may run. Pure: no I/O, no mutation.
 */
export function checkOperationLimits(
  document: DocumentNode,
  schema: GraphQLSchema,
  limits: OperationLimits,
  options: CheckOperationLimitsOptions,
): AppError[] {
  const breaches: LimitBreach[] = [];
  const aliases = countAliases(document);
  if (exceeds(aliases, limits.maxAliases)) breaches.push({ limit: 'aliases', measured: aliases, maximum: limits.maxAliases });

  let depth = 0;
  let cost = 0;
  let directives = 0;
  for (const operation of selectedOperations(document, options.operationName)) {
    const measured = measureOperation(document, operation, schema, options);
    depth = Math.max(depth, measured.depth);
    cost = Math.max(cost, measured.cost);
    directives = Math.max(directives, measured.directives);
  }
  if (exceeds(depth, limits.maxDepth)) breaches.push({ limit: 'depth', measured: depth, maximum: limits.maxDepth });
  if (exceeds(cost, limits.maxCost)) breaches.push({ limit: 'cost', measured: cost, maximum: limits.maxCost });
  if (limits.maxDirectives !== undefined && exceeds(directives, limits.maxDirectives)) {
    breaches.push({ limit: 'directives', measured: directives, maximum: limits.maxDirectives });
  }
  return breaches.map((breach) => queryTooComplexError(breach, options.revealThresholds));
}

// Written as "not within" so a NaN measurement is refused rather than waved through.
function exceeds(measured: number, maximum: number): boolean {
  return !(measured <= maximum);
}

function selectedOperations(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode[] {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const named = operations.filter((operation) => operation.name?.value === operationName);
  return named.length > 0 ? named : operations;
}
