import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { measureOperation, measurementReadsVariables, type MeasureOperationOptions } from '../src/index.ts';
import { vmSchema } from './vmSchema.ts';

function measure(source: string, options?: MeasureOperationOptions) {
  const document = parse(source);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation');
  return measureOperation(document, operation, vmSchema, options);
}

describe('measureOperation', () => {
  it('counts depth as the longest chain of fields, top-level fields at depth 1', () => {
    expect(measure('{ vm(id: "1") { id } }').depth).toBe(2);
    expect(measure('{ vms { edges { node { id } } } }').depth).toBe(4);
    expect(measure('{ __typename }').depth).toBe(1);
  });

  it('charges one per field when nothing is a list', () => {
    expect(measure('{ vm(id: "1") { id name } }').cost).toBe(3);
  });

  it('multiplies a connection by its first argument and does not multiply its edges again', () => {
    // vms 1 + 5 × (edges 1 + node 1 + id 1)
    expect(measure('{ vms(first: 5) { edges { node { id } } } }').cost).toBe(16);
  });

  it('multiplies a list without first by the default list size', () => {
    expect(measure('{ regions { name } }').cost).toBe(11);
    expect(measure('{ regions { name } }', { defaultListSize: 100 }).cost).toBe(101);
    // The connection took no first, so its edges list is the one that multiplies.
    expect(measure('{ vms { edges { node { id } } } }').cost).toBe(1 + (1 + 10 * 2));
  });

  it('uses the schema default of first when the query leaves it out', () => {
    // operations(first: Int = 20)
    expect(measure('{ vm(id: "1") { operations { edges { node { id } } } } }').cost).toBe(1 + (1 + 20 * 3));
  });

  it('reads first from the variables, then from the variable default', () => {
    const source = 'query VMs($n: Int = 3) { vms(first: $n) { edges { node { id } } } }';
    expect(measure(source, { variables: { n: 500 } }).cost).toBe(1 + 500 * 3);
    expect(measure(source, { variables: { n: 2 } }).cost).toBe(1 + 2 * 3);
    expect(measure(source).cost).toBe(1 + 3 * 3);
  });

  it('multiplies nested lists together', () => {
    const source = '{ vms(first: 500) { edges { node { operations(first: 500) { edges { node { id } } } } } } }';
    expect(measure(source).cost).toBe(1 + 500 * (1 + 1 + (1 + 500 * 3)));
  });

  it('follows fragment spreads and inline fragments, keeping the slice context of the spread', () => {
    const source = `
      { vms(first: 5) { ...Page } node(id: "1") { ... on VM { clonedFrom { id } } } }
      fragment Page on VMConnection { edges { node { id } } }
    `;
    const measured = measure(source);
    expect(measured.cost).toBe(16 + (1 + 2));
    expect(measured.depth).toBe(4);
  });

  it('counts introspection meta fields like any other field', () => {
    // __schema 1 + types 10 × (fields 10 × (name 1)) + ... : each list multiplies by the default size
    const measured = measure('{ __schema { types { fields { name } } } }');
    expect(measured.depth).toBe(4);
    expect(measured.cost).toBe(1 + (1 + 10 * (1 + 10 * 1)));
  });

  it('counts directives in the operation and each fragment it spreads once', () => {
    const source = `
      query Q @a { vm(id: "1") @b { ...F ...F id @c } }
      fragment F on VM @d { name @e }
      fragment Unused on VM { name @f }
    `;
    expect(measure(source).directives).toBe(5);
  });

  it('tolerates fields the schema does not know', () => {
    expect(measure('{ nope { deeper { id } } }')).toMatchObject({ depth: 3, cost: 3 });
  });

  it('ends on fragment cycles', () => {
    const source = `
      { vm(id: "1") { ...A } }
      fragment A on VM { clonedFrom { ...B } }
      fragment B on VM { clonedFrom { ...A } }
    `;
    expect(measure(source).depth).toBe(3);
  });

  it('walks each fragment once, so fragments that spread each other twice stay linear', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on VM { id }` : `fragment F${i} on VM { a: clonedFrom { ...F${i + 1} } b: clonedFrom { ...F${i + 1} } }`,
    );
    const measured = measure(`{ vm(id: "1") { ...F0 } } ${fragments.join('\n')}`);
    expect(measured.depth).toBe(levels + 1);
    expect(measured.cost).toBeGreaterThan(2 ** levels);
  });
});

describe('measurementReadsVariables', () => {
  it('says a document whose slices are variables is measured per request', () => {
    expect(measurementReadsVariables(parse('query ($n: Int) { vms(first: $n) { edges { node { id } } } }'))).toBe(true);
    expect(measurementReadsVariables(parse('query ($n: Int) { vms(first: 5) { edges { node { id } } } ...F } fragment F on Query { vms(first: $n) { pageInfo { hasNextPage } } }'))).toBe(true);
  });

  it('says a document with literal or no slices measures the same for every request', () => {
    expect(measurementReadsVariables(parse('{ vms(first: 5) { edges { node { id } } } }'))).toBe(false);
    expect(measurementReadsVariables(parse('query ($id: ID!) { vm(id: $id) { id name } }'))).toBe(false);
  });
});
