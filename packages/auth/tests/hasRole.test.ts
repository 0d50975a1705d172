import { describe, expect, it } from 'vitest';
import { hasRole, type Identity, type Role } from '../src/index.ts';

function identityWith(...roles: Role[]): Identity {
  return { subject: 'user-1', tenantId: 'acme', roles, expiresAt: new Date(Date.now() + 60_000) };
}

describe('hasRole', () => {
  it('lets an admin do what an operator and a viewer may', () => {
    const admin = identityWith('admin');
    expect([hasRole(admin, 'viewer'), hasRole(admin, 'operator'), hasRole(admin, 'admin')]).toEqual([true, true, true]);
  });

  it('lets an operator view and operate but not administer', () => {
    const operator = identityWith('operator');
    expect([hasRole(operator, 'viewer'), hasRole(operator, 'operator'), hasRole(operator, 'admin')]).toEqual([true, true, false]);
  });

  it('lets a viewer only view', () => {
    const viewer = identityWith('viewer');
    expect([hasRole(viewer, 'viewer'), hasRole(viewer, 'operator'), hasRole(viewer, 'admin')]).toEqual([true, false, false]);
  });

  it('judges by the strongest role held', () => {
    expect(hasRole(identityWith('viewer', 'admin'), 'operator')).toBe(true);
  });
});
