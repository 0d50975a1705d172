import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { requestError, withHttpStatus } from '@novacron/errors';
import { checkOperationLimits, inspectInputs, type OperationLimits } from '@novacron/guards';
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
  return (document, variables, operationName) => {
    // Introspection is served only where it is enabled (development); tools need all of it.
    if (!options.production && isIntrospectionOnly(document)) return null;
    if (options.safelist && !options.safelist.has(document)) {
      return requestError('FORBIDDEN', 'only the operations shipped in the NovaCron SDK are accepted', { reason: 'NOT_IN_SAFELIST' });
    }
    const badInput = inspectInputs(document, variables, { maxVariableNodes: options.limits.maxVariableNodes, revealThresholds: !options.production });
    if (badInput) return withHttpStatus(badInput);
    const [breach] = checkOperationLimits(document, options.schema, options.limits, { revealThresholds: !options.production, operationName, variables });
    return breach ? withHttpStatus(breach) : null;
  };
}

function isIntrospectionOnly(document: DocumentNode): boolean {
  return document.definitions.every(
    (definition) =>
      definition.kind !== Kind.OPERATION_DEFINITION ||
      definition.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type')),
  );
}
