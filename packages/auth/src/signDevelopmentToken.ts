import { badInput } from '@novacron/errors';
import { importPKCS8, SignJWT } from 'jose';
import { developmentAudience, developmentIssuer } from './developmentIssuer.ts';
import type { DevelopmentKeys } from './ensureDevelopmentKeys.ts';
import { isTenantId } from './isTenantId.ts';
import { isRole, type Role } from './Role.ts';
import { userTokenClaims } from './userTokenClaims.ts';

/** Options for {@link signDevelopmentToken}. */
export interface DevelopmentTokenOptions {
  /** The development keys, from `ensureDevelopmentKeys`; only the user pair is used. */
  keys: Pick<DevelopmentKeys, 'user'>;
  /** The tenant the token acts in. */
  tenant: string;
  /** The roles the token carries; at least one. */
  roles: Role[];
  /** The `sub` claim. Default `developer`. */
  subject?: string;
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number;
}

/**
 * Signs a user token with the development key, with the issuer, audience and claim names a
 * verifier built from `developmentJwks` (or the user public key) accepts. For local use and tests.
 */
export async function signDevelopmentToken(options: DevelopmentTokenOptions): Promise<string> {
  const { keys, tenant, roles, subject = 'developer', ttlSeconds = 3600 } = options;
  if (!isTenantId(tenant)) throw badInput('tenant', 'tenant must be 1–63 characters of a-z, 0-9 and -, not starting with -');
  if (roles.length === 0 || !roles.every(isRole)) throw badInput('roles', 'roles must name at least one of viewer, operator, admin');
  if (!subject) throw badInput('subject', 'subject must not be empty');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw badInput('ttlSeconds', 'ttlSeconds must be a positive integer');
  const privateKey = await importPKCS8(keys.user.privateKeyPem, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [userTokenClaims.tenant]: tenant, [userTokenClaims.roles]: [...new Set(roles)] })
    .setProtectedHeader({ alg: 'ES256', kid: keys.user.keyId, typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(developmentIssuer)
    .setAudience(developmentAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(privateKey);
}
