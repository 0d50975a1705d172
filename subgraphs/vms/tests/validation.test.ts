import { describe, expect, it } from 'vitest';
import { AppError } from '@novacron/errors';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '@novacron/providers';
import { decodeCursor, encodeCursor, pageSize } from '@novacron/subgraph-kit';
import { inputDigest } from '../src/domain/inputDigest.ts';
import { parseId } from '../src/domain/parseId.ts';
import { validateCreateInput } from '../src/domain/validateCreateInput.ts';
import { validateLabels } from '../src/domain/validateLabels.ts';

// Validation never touches the database: a pool that is never used is enough.
const providers = createProviderRegistry({ sql: createSql('postgres://unused@127.0.0.1:1/unused'), latencyMs: { min: 0, max: 0 }, capacityPerRegion: 10 });
const valid = { name: 'web-1', provider: 'gcp', region: 'europe-west4', instanceType: 't2a-standard-1', image: 'debian-12' };

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError && error.code === 'BAD_USER_INPUT') return String(error.extensions.field);
    throw error;
  }
  return undefined;
}

describe('createVM validation', () => {
  it('accepts a valid input and defaults labels to none', () => {
    expect(validateCreateInput(valid, providers)).toEqual({ ...valid, labels: {} });
  });

  it.each([
    ['name', { name: '' }],
    ['name', { name: 'x'.repeat(64) }],
    ['name', { name: '9lives' }],
    ['name', { name: 'trailing-' }],
    ['name', { name: 'ünïcode' }],
    ['provider', { provider: 'AWS' }],
    ['region', { region: 'us-central1 ' }],
    ['instanceType', { instanceType: 't2a-standard-1', region: 'us-east1' }],
    ['image', { image: '' }],
  ])('names the field %s for a bad value', (field, change) => {
    expect(fieldOf(() => validateCreateInput({ ...valid, ...change }, providers))).toBe(`input.${field}`);
  });

  it('limits labels in number, key shape and value length', () => {
    expect(fieldOf(() => validateLabels('labels', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))))).toBe('labels');
    expect(fieldOf(() => validateLabels('labels', { 'bad key': 'v' }))).toBe('labels.bad key');
    expect(fieldOf(() => validateLabels('labels', { k: 'v'.repeat(256) }))).toBe('labels.k');
    expect(validateLabels('labels', { 'app.kubernetes.io/name': 'web' })).toEqual({ 'app.kubernetes.io/name': 'web' });
  });
});

describe('ids, cursors and page sizes', () => {
  it('accepts UUIDs in any case and rejects everything else', () => {
    expect(parseId('id', 'A0B1C2D3-0000-4000-8000-00000000000F')).toBe('a0b1c2d3-0000-4000-8000-00000000000f');
    expect(fieldOf(() => parseId('id', 'a0b1c2d3'))).toBe('id');
    expect(fieldOf(() => parseId('id', "'; drop table vms.vms; --"))).toBe('id');
  });

  it('round-trips a cursor and rejects a tampered one', () => {
    const createdAt = new Date('2026-11-27T05:39:20.123Z');
    const id = '0e4e8f2c-6a39-4b7e-9a3e-2f5d7c1b9a00';
    expect(decodeCursor('after', encodeCursor(createdAt, id))).toEqual({ createdAt: createdAt.toISOString(), id });
    expect(fieldOf(() => decodeCursor('after', Buffer.from('["yesterday","x"]').toString('base64url')))).toBe('after');
  });

  it('bounds page sizes to 1..500', () => {
    expect(pageSize('first', undefined)).toBe(50);
    expect(pageSize('first', 500)).toBe(500);
    expect(fieldOf(() => pageSize('first', 0))).toBe('first');
    expect(fieldOf(() => pageSize('first', 501))).toBe('first');
  });
});

describe('input digest', () => {
  it('ignores key order but not values or the mutation', () => {
    expect(inputDigest('createVM', { a: 1, b: { c: 2, d: 3 } })).toBe(inputDigest('createVM', { b: { d: 3, c: 2 }, a: 1 }));
    expect(inputDigest('createVM', { a: 1 })).not.toBe(inputDigest('createVM', { a: 2 }));
    expect(inputDigest('STOP', { vmId: 'x' })).not.toBe(inputDigest('START', { vmId: 'x' }));
  });
});
