/**
 * Where a user token carries the tenant and the roles by default. Namespaced, as identity providers
 * require for custom claims; the verifier falls back to plain `tenant` and `roles`.
 */
export const userTokenClaims = Object.freeze({
  tenant: 'https://novacron.dev/tenant',
  roles: 'https://novacron.dev/roles',
});
