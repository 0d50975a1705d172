import type { JWTPayload } from 'jose';
import type { Identity } from './Identity.ts';
import { invalidToken } from './invalidToken.ts';
import { isTenantId } from './isTenantId.ts';
import { roles as allRoles } from './Role.ts';

/** Claim names to read, in order of preference; the first one present wins. */
export interface IdentityClaimNames {
  tenant: readonly string[];
  roles: readonly string[];
}

const maxSubjectLength = 256;

/**
 * Turns the claims of a verified token into an Identity. Unknown role names are ignored; a token
 * with no known role is refused. Throws UNAUTHENTICATED.
 */
export function identityFromClaims(payload: JWTPayload, claimNames: IdentityClaimNames): Identity {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > maxSubjectLength) {
    throw invalidToken(new Error('the "sub" claim is missing or malformed'));
  }
  if (typeof payload.exp !== 'number') throw invalidToken(new Error('the "exp" claim is missing'));
  const tenantId = firstPresent(payload, claimNames.tenant);
  if (!isTenantId(tenantId)) throw invalidToken(new Error('the tenant claim is missing or not a valid tenant id'));
  const claimedRoles = firstPresent(payload, claimNames.roles) ?? [];
  if (!Array.isArray(claimedRoles)) throw invalidToken(new Error('the roles claim is not an array'));
  const roles = allRoles.filter((role) => claimedRoles.some((claimed) => claimed === role));
  if (roles.length === 0) {
    // The generic message: saying "no role" would tell a caller that the token's signature was valid.
    throw invalidToken(new Error(`roles claim held no known role (subject ${subject})`));
  }
  return { subject, tenantId, roles, expiresAt: new Date(payload.exp * 1000) };
}

function firstPresent(payload: JWTPayload, names: readonly string[]): unknown {
  for (const name of names) {
    if (Object.hasOwn(payload, name) && payload[name] !== undefined) return payload[name];
  }
  return undefined;
}
