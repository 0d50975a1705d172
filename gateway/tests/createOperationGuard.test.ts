import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createOperationGuard } from '../src/security/createOperationGuard.ts';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    vms(first: Int): [VM!]!
  }
  type VM {
    id: ID!
    name: String!
  }
`);

const guard = createOperationGuard({ schema, limits: { maxDepth: 5, maxAliases: 5, maxCost: 100, maxTokens: 1_000, maxVariableNodes: 100 }, production: false, safelist: null });

describe('the operation guard', () => {
  it('refuses an over-cost document on every request, not only the first', () => {
    const document = parse('{ vms(first: 500) { id name } }');
    expect(guard(document, {}, undefined)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(guard(document, {}, undefined)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });

  it('measures a document whose size comes from its variables again for each request', () => {
    const document = parse('query Page($n: Int) { vms(first: $n) { id name } }');
    expect(guard(document, { n: 5 }, 'Page')).toBeNull();
    expect(guard(document, { n: 500 }, 'Page')?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(guard(document, { n: 5 }, 'Page')).toBeNull();
  });

  it('still inspects the variables of a document that passed its limits before', () => {
    const document = parse('query Named($name: String) { vms(first: 2) { id } }');
    expect(guard(document, { name: 'ok' }, 'Named')).toBeNull();
    expect(guard(document, { name: 'bad\u0000name' }, 'Named')?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('keeps the limits of each operation of a document apart', () => {
    const document = parse('query Small { vms(first: 2) { id } } query Large { vms(first: 900) { id name } }');
    expect(guard(document, {}, 'Small')).toBeNull();
    expect(guard(document, {}, 'Large')?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });
});
