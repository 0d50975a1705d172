import { describe, expect, it } from 'vitest';
import { inputDigest } from '../src/domain/inputDigest.ts';

// Digests are stored (operations.input_digest, audit_log.input_digest) and compared with replays of an
// idempotency key: a change of the canonical form would turn every stored key into a false CONFLICT.
describe('inputDigest', () => {
  it('keeps the digests stored before (keys sorted, undefined left out, arrays in order, unicode and quotes escaped)', () => {
    expect(inputDigest('createVM', { input: { name: 'web-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12', labels: { team: 'core', 'a"b': 'x\u00e9' } }, idempotencyKey: null })).toBe(
      '4c70adf7277feb6e5d63becf1c760c6c18837943a6bf70f03f2c142aef017d3d',
    );
    expect(inputDigest('createVM', { name: 'web-2', skip: undefined, list: [1, 'two', null, { z: 1, a: [true, false] }], nested: { b: { d: 1.5, c: -0 } }, empty: {}, none: [] })).toBe(
      'fb11fa5412c9489bd7855f5e932b74241315c961d773d62b93c676779b7c8512',
    );
    expect(inputDigest('resizeVM', { vmId: '7b6d5f3e-0000-4000-8000-000000000001', instanceType: 't3.large' })).toBe('c66bc615af777e87a5debe36153c7313861691f5bf5a3f176e01c8eac16ae351');
    expect(inputDigest('x', null)).toBe('0faa30432cdf753c55e7077531bfb947d681b0a834b3d5ef2dde1d403e2d35a5');
    expect(inputDigest('y', [undefined, 'a'])).toBe('a3d0abf841cb0ab043ee8909e64425ea2ddd60036457b87569eb7c31ef0ccd3a');
  });

  it('does not depend on the order keys were written in, nor on the prototype', () => {
    const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 });
    expect(inputDigest('m', { a: 1, b: 2 })).toBe(inputDigest('m', { b: 2, a: 1 }));
    expect(inputDigest('m', nullPrototype)).toBe(inputDigest('m', { a: 1, b: 2 }));
    expect(inputDigest('m', { a: 1 })).not.toBe(inputDigest('n', { a: 1 }));
  });
});
