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
