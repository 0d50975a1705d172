import {
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/** The variable that carries an event's cursor into the payload query. */
export const cursorVariable = '__novacronEventCursor';

/**
 * Turns a subscription into the query that resolves one event's payload:
 * `subscription { vmEvents(filter: …) { vm { id cost } } }` becomes
 * `query ($__novacronEventCursor: String!) { vmEvents: vmEventAt(filter: …, cursor: $__novacronEventCursor) { vm { id cost } } }`.
 * The gateway runs that query through its own query planner for each event, so the payload may
 * select fields of any subgraph; the payload field takes the subscription's own arguments and returns
 * null when the event does not match them, so filter semantics stay in the owning subgraph. The root
 * field's alias is kept, so the result has the subscription's shape.
 */
export function rewriteToPayloadQuery(document: DocumentNode, operation: OperationDefinitionNode, rootField: FieldNode, payloadField: string): DocumentNode {
  const responseKey = rootField.alias?.value ?? rootField.name.value;
  const payloadRoot: FieldNode = {
    ...rootField,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: payloadField },
    arguments: [
      ...(rootField.arguments ?? []),
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: 'cursor' },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: cursorVariable } },
      },
    ],
  };
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION);
  const withoutVariables: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    variableDefinitions: [],
    selectionSet: { ...operation.selectionSet, selections: [payloadRoot] },
  };
  const used = usedVariables({ kind: Kind.DOCUMENT, definitions: [withoutVariables, ...fragments] });
  const cursorDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: cursorVariable } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } } },
  };
  const kept = (operation.variableDefinitions ?? []).filter((definition) => used.has(definition.variable.name.value));
  return {
    kind: Kind.DOCUMENT,
    definitions: [{ ...withoutVariables, variableDefinitions: [...kept, cursorDefinition] }, ...fragments],
  };
}

function usedVariables(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(document, {
    Variable(node) {
      names.add(node.name.value);
    },
  });
  return names;
}
