import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badInput } from '@novacron/errors';

/** ISO 8601 date-times, always serialized in UTC. */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw badInput('DateTime', 'expected an ISO 8601 date-time string');
  return new Date(value).toISOString();
}

/**
 * An object of string values. Coercion passes any value through on purpose: the domain checks it and
 * answers BAD_USER_INPUT naming the field, where a coercion error would fail the whole request at the
 * HTTP level without a field.
 */
export const Labels = new GraphQLScalarType({
  name: 'Labels',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalValue(ast, variables),
});

/** Any JSON value; internal fields only (event payloads). */
export const JSON = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalValue(ast, variables),
});

function literalValue(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalValue(field.value, variables)]));
    case Kind.LIST:
      return node.values.map((value) => literalValue(value, variables));
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.BOOLEAN:
      return node.value;
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      return null;
  }
}

/** The kit's scalars, for a subgraph's resolver map. */
export const scalars = { DateTime, Labels, JSON };
