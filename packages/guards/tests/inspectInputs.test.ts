import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { inspectInputs } from '../src/index.ts';

const document = parse('query ($f: VMFilter) { vms(filter: $f) { totalCount } }');
const options = { maxVariableNodes: 100, revealThresholds: false };

describe('inspectInputs', () => {
  it('lets ordinary variables through', () => {
    expect(inspectInputs(document, { f: { labels: [{ key: 'team', value: 'web' }], nameContains: 'ünïcode ✓' } }, options)).toBeNull();
  });

  it('refuses a NUL character in a variable, naming where it is', () => {
    expect(inspectInputs(document, { f: { labels: [{ key: 'team', value: 'a\u0000b' }] } }, options)?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'f.labels.0.value',
    });
  });

  it('refuses a NUL character in an object key or in the query text', () => {
    expect(inspectInputs(document, { f: { 'bad\u0000key': 'x' } }, options)?.extensions.code).toBe('BAD_USER_INPUT');
    expect(inspectInputs(parse('{ vms(filter: { nameContains: "a\\u0000b" }) { totalCount } }'), {}, options)?.extensions).toMatchObject({ field: 'query' });
  });

  it('refuses oversized variables without revealing the limit in production', () => {
    const many = { f: { labels: Array.from({ length: 101 }, (_, index) => ({ key: `k${index}` })) } };
    const error = inspectInputs(document, many, options);
    expect(error?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'variables' });
    expect(error?.message).not.toMatch(/\d/);
    expect(inspectInputs(document, many, { ...options, revealThresholds: true })?.message).toMatch(/100/);
  });

  it('judges the same parsed document the same way on every request, whatever its variables', () => {
    const withNul = parse('{ vms(filter: { nameContains: "a\\u0000b" }) { totalCount } }');
    expect(inspectInputs(withNul, {}, options)?.extensions).toMatchObject({ field: 'query' });
    expect(inspectInputs(withNul, {}, options)?.extensions).toMatchObject({ field: 'query' });
    expect(inspectInputs(document, { f: { nameContains: 'clean' } }, options)).toBeNull();
    expect(inspectInputs(document, { f: { labels: [{ key: 'a\u0000', value: 'x' }] } }, options)?.extensions).toMatchObject({ field: 'f.labels.0.key' });
    expect(inspectInputs(document, { f: { nameContains: 'clean' } }, options)).toBeNull();
  });
});
