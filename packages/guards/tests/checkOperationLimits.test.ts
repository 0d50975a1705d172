import { getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperationLimits, defaultOperationLimits, type OperationLimits } from '../src/index.ts';
import { vmSchema } from './vmSchema.ts';

const limits: OperationLimits = { maxDepth: 8, maxAliases: 30, maxTokens: 5000, maxCost: 5000 };
const production = { revealThresholds: false };
const development = { revealThresholds: true };

/** `{ vm(id: "1") { clonedFrom { … { id } } } }` with the given total depth. */
function queryOfDepth(depth: number): string {
  return `{ vm(id: "1") { ${'clonedFrom { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
}

function aliases(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
}

const blownUpCost = '{ vms(first: 500) { edges { node { operations(first: 500) { edges { node { id status } } } } } } }';

function check(source: string, options: Parameters<typeof checkOperationLimits>[3] = production, operationLimits = limits) {
  return checkOperationLimits(parse(source), vmSchema, operationLimits, options);
}

describe('checkOperationLimits', () => {
  it('accepts an operation at the depth limit', () => {
    expect(check(queryOfDepth(8))).toEqual([]);
  });

  it('refuses an operation one level over the depth limit', () => {
    const errors = check(queryOfDepth(9));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' });
  });

  it('measures depth through fragment spreads', () => {
    // vm → clonedFrom (One) → `nested` more levels (Two) → id
    const viaFragments = (nested: number) => `
      { vm(id: "1") { ...One } }
      fragment One on VM { clonedFrom { ...Two } }
      fragment Two on VM { ${'clonedFrom { '.repeat(nested)}id${' }'.repeat(nested)} }
    `;
    expect(check(viaFragments(5))).toEqual([]);
    expect(check(viaFragments(6)).map((error) => error.extensions.limit)).toEqual(['depth']);
  });

  it('returns on fragment cycles instead of hanging', () => {
    const source = `
      { vm(id: "1") { ...A } }
      fragment A on VM { clonedFrom { ...B } }
      fragment B on VM { clonedFrom { ...A } }
    `;
    expect(check(source)).toEqual([]);
  });

  it('accepts 30 aliases and refuses 500', () => {
    expect(check(aliases(30))).toEqual([]);
    const errors = check(aliases(500));
    expect(errors.map((error) => error.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', limit: 'aliases' }]);
  });

  it('refuses nested lists of first: 500', () => {
    expect(check(blownUpCost).map((error) => error.extensions.limit)).toEqual(['cost']);
  });

  it('prices first from the variables', () => {
    const source = 'query VMs($n: Int) { vms(first: $n) { edges { node { operations(first: $n) { edges { node { id } } } } } } }';
    expect(check(source, { ...production, variables: { n: 10 } })).toEqual([]);
    expect(check(source, { ...production, variables: { n: 500 } }).map((error) => error.extensions.limit)).toEqual(['cost']);
  });

  it('checks only the operation the request names', () => {
    const source = `query Cheap { vm(id: "1") { id } } query Costly ${blownUpCost}`;
    expect(check(source, { ...production, operationName: 'Cheap' })).toEqual([]);
    expect(check(source, { ...production, operationName: 'Costly' })).toHaveLength(1);
    expect(check(source)).toHaveLength(1);
  });

  it('limits directives only when maxDirectives is set', () => {
    const source = '{ vm(id: "1") @include(if: true) { id @skip(if: false) name @skip(if: false) } }';
    expect(check(source)).toEqual([]);
    expect(check(source, production, { ...limits, maxDirectives: 2 }).map((error) => error.extensions.limit)).toEqual(['directives']);
  });

  it('reports every breached limit', () => {
    const source = `{ ${aliases(40).slice(1, -1)} ${blownUpCost.slice(1, -1)} }`;
    expect(check(source, production, { ...limits, maxDepth: 3 }).map((error) => error.extensions.limit)).toEqual(['aliases', 'depth', 'cost']);
  });

  it('keeps thresholds and measurements out of production messages', () => {
    const source = `{ ${aliases(47).slice(1, -1)} ${blownUpCost.slice(1, -1)} }`;
    const errors = check(source, production, { ...limits, maxDepth: 3, maxDirectives: 0, maxAliases: 29 });
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error.message).not.toMatch(/\d/);
      expect(Object.keys(error.extensions).sort()).toEqual(['code', 'limit']);
    }
  });

  it('states thresholds and measurements in development messages', () => {
    const [depth] = check(queryOfDepth(10), development);
    expect(depth?.message).toBe('operation depth 10 exceeds the limit of 8');
    expect(depth?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', measured: 10, maximum: 8 });
    const [alias] = check(aliases(31), development);
    expect(alias?.message).toBe('document has 31 aliases, over the limit of 30');
    const [cost] = check('{ vms(first: 2000) { edges { node { id } } } }', development);
    expect(cost?.message).toBe('operation cost 6001 exceeds the limit of 5000');
  });

  it('accepts a typical dashboard query under the default limits', () => {
    const source = `
      query Dashboard($first: Int = 50) {
        vms(first: $first) { pageInfo { hasNextPage endCursor } edges { cursor node { id name region { name } operations(first: 5) { edges { node { id status } } } } } }
        regions { name }
      }
    `;
    expect(check(source, production, defaultOperationLimits)).toEqual([]);
  });

  it('refuses the full introspection query under the default limits, like any deep and costly operation', () => {
    // Depth 15 and cost ~50 000 with graphql 16.15: tools that need it (codegen, Sandbox) must be exempted by the caller.
    const errors = check(getIntrospectionQuery(), production, defaultOperationLimits);
    expect(errors.map((error) => error.extensions.limit)).toEqual(['depth', 'cost']);
  });
});
