import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '@novacron/errors';
import { formatUsd, parseUsd } from '../domain/money.ts';

/** USD as an exact decimal string; resolvers hand it micro-dollars (bigint). */
export const Money = new GraphQLScalarType({
  name: 'Money',
  serialize: (value) => {
    if (typeof value === 'bigint') return formatUsd(value);
    if (typeof value === 'string') return formatUsd(parseUsd(value));
    throw new TypeError('Money is serialized from micro-dollars (bigint)');
  },
  parseValue: (value) => parse(value),
  parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parse(value: unknown): string {
  if (typeof value !== 'string') throw badInput('Money', 'expected a decimal string such as "12.50"');
  try {
    return formatUsd(parseUsd(value));
  } catch {
    throw badInput('Money', 'expected a decimal string with at most six decimals');
  }
}
