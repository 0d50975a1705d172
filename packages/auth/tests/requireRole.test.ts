import { describe, expect, it } from 'vitest';
import { requireRole, type Identity } from '../src/index.ts';
import { expectAppError } from './expectRejection.ts';

const viewer: Identity = { subject: 'user-1', tenantId: 'acme', roles: ['viewer'], expiresAt: new Date(Date.now() + 60_000) };

describe('requireRole', () => {
  it('returns the identity when it holds the role', () => {
    expect(requireRole(viewer, 'viewer')).toBe(viewer);
  });

  it('throws UNAUTHENTICATED without an identity', async () => {
    await expectAppError(Promise.resolve().then(() => requireRole(null, 'viewer')), 'UNAUTHENTICATED');
    await expectAppError(Promise.resolve().then(() => requireRole(undefined, 'viewer')), 'UNAUTHENTICATED');
  });

  it('throws FORBIDDEN naming the role needed, not the roles held', async () => {
    const error = await expectAppError(Promise.resolve().then(() => requireRole(viewer, 'admin')), 'FORBIDDEN');
    expect(error.message).toContain('admin');
    expect(error.message).not.toContain('viewer');
    expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: 'admin' });
  });
});
