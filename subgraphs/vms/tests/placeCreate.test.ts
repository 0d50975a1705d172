import { describe, expect, it } from 'vitest';
import { createIdsFor } from '../src/domain/placeCreate.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createIdsFor', () => {
  it('gives a replayed idempotency key the same operation and VM ids, so placement sees the same reservation', () => {
    expect(createIdsFor('acme', 'web-1')).toEqual(createIdsFor('acme', 'web-1'));
  });

  it('derives the ids it always derived (a replay across an upgrade keeps its operation and its reservation)', () => {
    expect(createIdsFor('acme', 'web-1')).toEqual({ operationId: '4d63259b-d292-4b23-bfbf-11541d967437', vmId: '3c242b49-cb24-41b1-ab2c-1447f516ea04' });
  });

  it('gives other tenants, other keys and key-less creates other ids, all valid UUIDs', () => {
    const ids = [createIdsFor('acme', 'web-1'), createIdsFor('globex', 'web-1'), createIdsFor('acme', 'web-2'), createIdsFor('acme', null), createIdsFor('acme', null)];
    const all = ids.flatMap((pair) => [pair.operationId, pair.vmId]);
    expect(new Set(all).size).toBe(all.length);
    for (const id of all) expect(id).toMatch(uuid);
    // Tenant and key are length-prefixed: ("ab", "c") and ("a", "bc") do not collide.
    expect(createIdsFor('ab', 'c')).not.toEqual(createIdsFor('a', 'bc'));
  });
});
