import { Kind, getArgumentValues, getVariableValues, type DocumentNode, type FieldNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { AppError, appError } from '@novacron/errors';
import type { StreamDeclaration } from './readStreamDeclarations.ts';
import { rewriteToPayloadQuery } from './rewriteToPayloadQuery.ts';

/** What a subscription request carries. */
export interface SubscriptionRequest {
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A subscription, understood: which stream, its coerced arguments, and the query resolving one event. */
export interface ParsedSubscription {
  declaration: StreamDeclaration;
  args: Record<string, unknown>;
  payloadDocument: DocumentNode;
  payloadVariables: Record<string, unknown>;
}

/** Parses a validated subscription document; BAD_USER_INPUT for anything the engine cannot serve. */
export function parseSubscription(schema: GraphQLSchema, declarations: ReadonlyMap<string, StreamDeclaration>, request: SubscriptionRequest): ParsedSubscription {
  const operations = request.document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = request.operationName ? operations.find((candidate) => candidate.name?.value === request.operationName) : operations[0];
  if (!operation || operation.operation !== 'subscription') throw appError('BAD_USER_INPUT', 'expected a subscription operation');
  const [rootField, ...others] = operation.selectionSet.selections;
  if (!rootField || others.length > 0 || rootField.kind !== Kind.FIELD) throw appError('BAD_USER_INPUT', 'a subscription selects exactly one root field');
  const declaration = declarations.get(rootField.name.value);
  const fieldDefinition = schema.getSubscriptionType()?.getFields()[rootField.name.value];
  if (!declaration || !fieldDefinition) throw appError('BAD_USER_INPUT', `unknown subscription field ${rootField.name.value}`);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) throw new AppError('BAD_USER_INPUT', coerced.errors[0]?.message ?? 'invalid variables');
  const args = getArgumentValues(fieldDefinition, rootField, coerced.coerced);
  const payloadDocument = payloadQueryOf(request.document, operation, rootField, declaration.payloadField);
  const payloadOperation = payloadDocument.definitions[0] as OperationDefinitionNode;
  const kept = new Set((payloadOperation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  const payloadVariables = Object.fromEntries(Object.entries(request.variables ?? {}).filter(([name]) => kept.has(name)));
  return { declaration, args, payloadDocument, payloadVariables };
}

/**
 * The payload query of each subscription operation, computed once: the WebSocket transport shares one
 * parsed document among identical subscription texts, and each subscriber kept its own rewritten copy
 * (≈ 45 AST objects, a quarter of the JS heap one idle subscriber held).
 */
const payloadQueries = new WeakMap<OperationDefinitionNode, Map<string, DocumentNode>>();

function payloadQueryOf(document: DocumentNode, operation: OperationDefinitionNode, rootField: FieldNode, payloadField: string): DocumentNode {
  let byField = payloadQueries.get(operation);
  if (!byField) {
    byField = new Map();
    payloadQueries.set(operation, byField);
  }
  let payloadDocument = byField.get(payloadField);
  if (!payloadDocument) {
    payloadDocument = rewriteToPayloadQuery(document, operation, rootField, payloadField);
    byField.set(payloadField, payloadDocument);
  }
  return payloadDocument;
}
