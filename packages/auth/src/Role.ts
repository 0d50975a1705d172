/** What a caller may do: viewer reads, operator also runs VM lifecycle, admin also manages budgets, credentials and policy. */
export type Role = 'viewer' | 'operator' | 'admin';

/** Every role, weakest first; a role includes everything before it. */
export const roles: readonly Role[] = Object.freeze(['viewer', 'operator', 'admin']);

/** Narrows an unknown value (a claim element, a CLI argument) to a known role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** The rank of a role in the hierarchy; higher includes lower. */
export function roleRank(role: Role): number {
  return roles.indexOf(role);
}
