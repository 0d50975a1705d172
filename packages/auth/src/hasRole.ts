import type { Identity } from './Identity.ts';
import { roleRank, type Role } from './Role.ts';

/** Whether an identity may act as `role`; admin includes operator, which includes viewer. */
export function hasRole(identity: Identity, role: Role): boolean {
  const needed = roleRank(role);
  return identity.roles.some((held) => roleRank(held) >= needed);
}
