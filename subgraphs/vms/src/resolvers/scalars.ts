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

/** An object of string values; validated in depth by the domain (validateLabels). */
export const Labels = new GraphQLScalarType({
  name: 'Labels',
  serialize: (value) => value,
  parseValue: (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('Labels must be an object of string values');
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.OBJECT) throw new TypeError('Labels must be an object of string values');
    return Object.fromEntries(ast.fields.map((field) => [field.name.value, literalString(field.value)]));
  },
});

function literalString(node: ValueNode): string {
  if (node.kind !== Kind.STRING) throw new TypeError('label values must be strings');
  return node.value;
}
