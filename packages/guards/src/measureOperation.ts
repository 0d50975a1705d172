// Hand-rolled: graphql-armor's cost-limit is schema-blind and ignores variables (`first: $n` costs 1); see README.
import {
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** How big one operation is. */
export interface OperationMeasurements {
  /** Longest chain of nested fields, following fragments; a top-level field is at depth 1. */
  depth: number;
  /** Static cost estimate: 1 per field, a list's sub-selection multiplied by the list's expected size. */
  cost: number;
  /** Directive usages in the operation and the fragments it spreads (each fragment counted once). */
  directives: number;
}

/** Options for {@link measureOperation}. */
export interface MeasureOperationOptions {
  /** The request's variables, so `first: $n` costs what it asks for. */
  variables?: Readonly<Record<string, unknown>> | null;
  /** Expected size of a list field that has no `first`/`last` argument. Default 10. */
  defaultListSize?: number;
}

/** Arguments that bound a list (Relay connections and plain paginated lists). */
const sliceArguments = ['first', 'last'];
/** Fields of a connection that hold the slice itself, already counted by the connection's `first`. */
const connectionItemFields = new Set(['edges', 'nodes']);

interface Subtree {
  depth: number;
  cost: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  defaultListSize: number;
  /** Fragment results by name and slice context: a fragment spread twice is walked once, so nesting stays linear. */
  measuredFragments: Map<string, Subtree>;
  /** Fragments being walked; spreading one of them again is a cycle (invalid anyway) and adds nothing. */
  fragmentsInProgress: Set<string>;
}

/**
 * Measures one operation of a document against the schema without executing it: depth, static
 * cost and directive count. Fragment spreads and inline fragments are followed; fragment cycles
 * and fields unknown to the schema are tolerated, since validation rejects them later.
 *
 * Cost: each field costs 1; a field with a sub-selection multiplies its sub-selection's cost by its
 * `first`/`last` argument (literal, variable, or schema default) or, for a list type without one,
 * by `defaultListSize`. `edges`/`nodes` under a field that took `first` do not multiply again.
 * Inline fragments on different types are summed, so abstract types are over- rather than under-estimated.
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  options: MeasureOperationOptions = {},
): OperationMeasurements {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk: Walk = {
    schema,
    fragments,
    variables: variablesWithDefaults(operation, options.variables ?? {}),
    defaultListSize: options.defaultListSize ?? 10,
    measuredFragments: new Map(),
    fragmentsInProgress: new Set(),
  };
  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const { depth, cost } = measureSelectionSet(operation.selectionSet, rootType, false, walk);
  return { depth, cost, directives: countDirectives(operation, fragments) };
}

function measureSelectionSet(selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined, insideSlice: boolean, walk: Walk): Subtree {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    let subtree: Subtree;
    if (selection.kind === Kind.FIELD) {
      subtree = measureField(selection, parentType, insideSlice, walk);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parentType;
      subtree = measureSelectionSet(selection.selectionSet, type ?? undefined, insideSlice, walk);
    } else {
      subtree = measureFragment(selection.name.value, insideSlice, walk);
    }
    depth = Math.max(depth, subtree.depth);
    cost += subtree.cost;
  }
  return { depth, cost };
}

function measureFragment(name: string, insideSlice: boolean, walk: Walk): Subtree {
  const key = `${name}\n${insideSlice}`;
  const measured = walk.measuredFragments.get(key);
  if (measured) return measured;
  const fragment = walk.fragments.get(name);
  if (!fragment || walk.fragmentsInProgress.has(name)) return { depth: 0, cost: 0 };
  walk.fragmentsInProgress.add(name);
  const type = walk.schema.getType(fragment.typeCondition.name.value) ?? undefined;
  const subtree = measureSelectionSet(fragment.selectionSet, type, insideSlice, walk);
  walk.fragmentsInProgress.delete(name);
  walk.measuredFragments.set(key, subtree);
  return subtree;
}

function measureField(field: FieldNode, parentType: GraphQLNamedType | undefined, insideSlice: boolean, walk: Walk): Subtree {
  if (!field.selectionSet) return { depth: 1, cost: 1 };
  const definition = parentType ? fieldDefinition(walk.schema, parentType, field.name.value) : undefined;
  const slice = sliceSize(field, definition, walk);
  let multiplier = 1;
  if (slice !== undefined) {
    multiplier = slice;
  } else if (definition && isListType(getNullableType(definition.type)) && !(insideSlice && connectionItemFields.has(field.name.value))) {
    multiplier = walk.defaultListSize;
  }
  const children = measureSelectionSet(field.selectionSet, definition ? getNamedType(definition.type) : undefined, slice !== undefined, walk);
  // Skipping the product when either side is 0 keeps 0 × Infinity (an absurd `first` literal) from becoming NaN.
  const childrenCost = multiplier === 0 || children.cost === 0 ? 0 : multiplier * children.cost;
  return { depth: 1 + children.depth, cost: 1 + childrenCost };
}

function fieldDefinition(schema: GraphQLSchema, parentType: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  // Meta fields are not in the types' field maps, but they count like any other field.
  if (name === TypeNameMetaFieldDef.name && isCompositeType(parentType)) return TypeNameMetaFieldDef;
  if (parentType === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  if (isObjectType(parentType) || isInterfaceType(parentType)) return parentType.getFields()[name];
  return undefined;
}

/** The largest `first`/`last` the field asks for, or undefined when it asks for neither. */
function sliceSize(field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined, walk: Walk): number | undefined {
  let size: number | undefined;
  for (const name of sliceArguments) {
    const argument = field.arguments?.find((node) => node.name.value === name);
    let value = argument ? valueFromASTUntyped(argument.value, walk.variables) : undefined;
    if (value === undefined || value === null) value = definition?.args.find((arg) => arg.name === name)?.defaultValue;
    if (typeof value === 'number' && !Number.isNaN(value)) size = Math.max(size ?? 0, value);
  }
  return size;
}

/**
 * Whether measuring the document reads any variable (a `first`/`last` given as `$n`): when it does not,
 * its measurements are the same for every request, and a caller may keep them per document.
 */
export function measurementReadsVariables(document: DocumentNode): boolean {
  let reads = false;
  visit(document, {
    Argument(argument) {
      if (sliceArguments.includes(argument.name.value) && argument.value.kind !== Kind.INT && argument.value.kind !== Kind.NULL) reads = true;
    },
  });
  return reads;
}

function variablesWithDefaults(operation: OperationDefinitionNode, provided: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const variables: Record<string, unknown> = { ...provided };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue && !Object.hasOwn(variables, name)) variables[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return variables;
}

function countDirectives(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): number {
  let count = 0;
  const reached = new Set<string>();
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  for (let node = pending.pop(); node; node = pending.pop()) {
    visit(node, {
      Directive() {
        count += 1;
      },
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (!fragment || reached.has(spread.name.value)) return;
        reached.add(spread.name.value);
        pending.push(fragment);
      },
    });
  }
  return count;
}
