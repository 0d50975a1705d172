import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { requestError, withHttpStatus } from '@novacron/errors';
import { checkOperationLimits, inspectInputs, measurementReadsVariables, type OperationLimits } from '@novacron/guards';
import type { Safelist } from './createSafelist.ts';

/** Checks one parsed operation; null when it may run, otherwise the error to answer with. */
export type OperationGuard = (document: DocumentNode, variables: Record<string, unknown>, operationName: string | null | undefined) => GraphQLError | null;

/**
 * The gateway's pre-execution checks, shared by HTTP requests and WebSocket subscriptions: the
 * safelist (when enabled), then depth, alias and cost limits. Thresholds appear in messages only
 * outside production.
 */
export function createOperationGuard(options: {
  schema: GraphQLSchema;
  limits: OperationLimits & { maxVariableNodes: number };
  production: boolean;
  safelist: Safelist | null;
}): OperationGuard {
  // Limits of a document whose measurement reads no variable hold for every request with it (Apollo hands
  // the same parsed document to each): a document and operation name that passed are not walked again.
  // Walking the document each time was about 4 % of the gateway's CPU per createVM (docs/benchmarks.md).
  // A breach is checked (and its error built) afresh each time.
  const passed = new WeakMap<DocumentNode, Set<string> | null>();
  const limitsOf = (document: DocumentNode, variables: Record<string, unknown>, operationName: string | null | undefined): GraphQLError | null => {
    let names = passed.get(document);
    if (names === undefined) {
      names = measurementReadsVariables(document) ? null : new Set();
      passed.set(document, names);
    }
    const key = operationName ?? '';
    if (names?.has(key)) return null;
    const [breach] = checkOperationLimits(document, options.schema, options.limits, { revealThresholds: !options.production, operationName, variables });
    if (breach) return withHttpStatus(breach);
    names?.add(key);
    return null;
  };
  return (document, variables, operationName) => {
    // Introspection is served only where it is enabled (development); tools need all of it.
    if (!options.production && isIntrospectionOnly(document)) return null;
    if (options.safelist && !options.safelist.has(document)) {
      return requestError('FORBIDDEN', 'only the operations shipped in the NovaCron SDK are accepted', { reason: 'NOT_IN_SAFELIST' });
    }
    const badInput = inspectInputs(document, variables, { maxVariableNodes: options.limits.maxVariableNodes, revealThresholds: !options.production });
    if (badInput) return withHttpStatus(badInput);
    return limitsOf(document, variables, operationName);
  };
}

function isIntrospectionOnly(document: DocumentNode): boolean {
  return document.definitions.every(
    (definition) =>
      definition.kind !== Kind.OPERATION_DEFINITION ||
      definition.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type')),
  );
}
