import { createHmac } from 'node:crypto';
import { errors, importPKCS8 } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUserTokenVerifier, type UserTokenVerifier } from '../src/index.ts';
import { expectAppError, expectInvalidToken } from './expectRejection.ts';
import { audience, createKeyPair, handCraftJwt, issuer, keySet, nowSeconds, rolesClaim, signClaims, tenantClaim, userClaims, type TestKeyPair } from './tokenFixtures.ts';

let key: TestKeyPair;
let otherKey: TestKeyPair;
let verify: UserTokenVerifier;

beforeAll(async () => {
  key = await createKeyPair('ES256');
  otherKey = await createKeyPair('ES256');
  verify = createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem });
});

describe('createUserTokenVerifier', () => {
  it('turns a valid token into an identity', async () => {
    const exp = nowSeconds() + 600;
    const identity = await verify(await signClaims(key.privateKey, userClaims({ sub: 'alice', exp, [rolesClaim]: ['operator', 'viewer'] })));
    expect(identity).toEqual({ subject: 'alice', tenantId: 'acme', roles: ['viewer', 'operator'], expiresAt: new Date(exp * 1000) });
  });

  it('rejects an expired token', async () => {
    const now = nowSeconds();
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ iat: now - 3600, exp: now - 120 }))));
    expect(cause).toBeInstanceOf(errors.JWTExpired);
  });

  it('rejects a token that is not yet valid beyond the clock tolerance', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ nbf: nowSeconds() + 120 }))));
    expect(cause).toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('accepts a token just expired or just not yet valid within the clock tolerance', async () => {
    const now = nowSeconds();
    await expect(verify(await signClaims(key.privateKey, userClaims({ exp: now - 10 })))).resolves.toMatchObject({ subject: 'user-1' });
    await expect(verify(await signClaims(key.privateKey, userClaims({ nbf: now + 10 })))).resolves.toMatchObject({ subject: 'user-1' });
  });

  it('honours a configured clock tolerance', async () => {
    const strict = createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, clockToleranceSeconds: 0 });
    await expectInvalidToken(strict(await signClaims(key.privateKey, userClaims({ exp: nowSeconds() - 10 }))));
  });

  it('rejects a token for another audience', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ aud: 'someone-else' }))));
    expect(cause.message).toMatch(/aud/);
  });

  it('rejects a token from another issuer', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ iss: 'https://evil.test/' }))));
    expect(cause.message).toMatch(/iss/);
  });

  it('rejects an unsigned token with alg none', async () => {
    const token = handCraftJwt({ alg: 'none', typ: 'JWT' }, userClaims());
    const cause = await expectInvalidToken(verify(token));
    expect(cause).toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });

  it('rejects an HS256 token signed with the public key as the HMAC secret', async () => {
    const secret = new TextEncoder().encode(key.publicKeyPem);
    await expectInvalidToken(verify(await signClaims(secret, userClaims(), { alg: 'HS256' })));
    // The same forgery by hand, in case a library ever "helpfully" treated the PEM as a secret.
    const unsigned = handCraftJwt({ alg: 'HS256', typ: 'JWT' }, userClaims()).slice(0, -1);
    const signature = createHmac('sha256', key.publicKeyPem).update(unsigned).digest('base64url');
    await expectInvalidToken(verify(`${unsigned}.${signature}`));
  });

  it('rejects a token without exp', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ exp: undefined }))));
    expect(cause.message).toMatch(/exp/);
  });

  it('rejects a token without sub', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ sub: undefined }))));
    expect(cause.message).toMatch(/sub/);
  });

  it('rejects a token signed by another key', async () => {
    const cause = await expectInvalidToken(verify(await signClaims(otherKey.privateKey, userClaims())));
    expect(cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('rejects a token whose payload was tampered with', async () => {
    const [header, , signature] = (await signClaims(key.privateKey, userClaims({ [rolesClaim]: ['viewer'] }))).split('.');
    const forged = handCraftJwt({}, userClaims({ [rolesClaim]: ['admin'] })).split('.')[1];
    const cause = await expectInvalidToken(verify(`${header}.${forged}.${signature}`));
    expect(cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('rejects garbage, an empty string and an oversized token', async () => {
    await expectInvalidToken(verify('not-a-jwt'));
    await expectInvalidToken(verify(''));
    await expectInvalidToken(verify('a'.repeat(20_000)));
  });

  it('never puts key material or the failure reason in the client-facing message', async () => {
    const error = await expectAppError(verify(await signClaims(otherKey.privateKey, userClaims())), 'UNAUTHENTICATED');
    expect(error.message).toBe('invalid or expired token');
    expect(JSON.stringify(error.toJSON())).not.toMatch(/BEGIN|signature|PUBLIC KEY/i);
  });

  it('reads the plain tenant and roles claims when the namespaced ones are absent', async () => {
    const token = await signClaims(key.privateKey, userClaims({ [tenantClaim]: undefined, [rolesClaim]: undefined, tenant: 'globex', roles: ['admin'] }));
    await expect(verify(token)).resolves.toMatchObject({ tenantId: 'globex', roles: ['admin'] });
  });

  it('reads custom claim names when configured', async () => {
    const custom = createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, tenantClaim: 'org', rolesClaim: 'perms' });
    const token = await signClaims(key.privateKey, userClaims({ [tenantClaim]: undefined, [rolesClaim]: undefined, org: 'initech', perms: ['viewer'] }));
    await expect(custom(token)).resolves.toMatchObject({ tenantId: 'initech', roles: ['viewer'] });
  });

  it('ignores unknown role names', async () => {
    const identity = await verify(await signClaims(key.privateKey, userClaims({ [rolesClaim]: ['superuser', 'viewer', 42] })));
    expect(identity.roles).toEqual(['viewer']);
  });

  it('refuses a validly signed token that carries no NovaCron role with the generic message', async () => {
    await expectAppError(verify(await signClaims(key.privateKey, userClaims({ [rolesClaim]: ['superuser'] }))), 'UNAUTHENTICATED', 'invalid or expired token');
    await expectAppError(verify(await signClaims(key.privateKey, userClaims({ [rolesClaim]: undefined }))), 'UNAUTHENTICATED', 'invalid or expired token');
  });

  it('rejects a roles claim that is not an array', async () => {
    await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ [rolesClaim]: 'admin' }))));
  });

  it('rejects a missing or malformed tenant id', async () => {
    for (const tenant of [undefined, '', 'Acme', '-acme', 'acme_corp', 'a'.repeat(64), 7]) {
      await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims({ [tenantClaim]: tenant }))));
    }
    await expect(verify(await signClaims(key.privateKey, userClaims({ [tenantClaim]: 'a'.repeat(63) })))).resolves.toBeDefined();
  });

  it('verifies RS256 tokens with an RSA public key', async () => {
    const rsa = await createKeyPair('RS256');
    const rsaVerify = createUserTokenVerifier({ issuer, audience, publicKeyPem: rsa.publicKeyPem });
    await expect(rsaVerify(await signClaims(rsa.privateKey, userClaims(), { alg: 'RS256' }))).resolves.toMatchObject({ tenantId: 'acme' });
  });

  it('rejects an algorithm outside the pinned list even when the key could verify it', async () => {
    const rsa = await createKeyPair('RS256');
    const rsaVerify = createUserTokenVerifier({ issuer, audience, publicKeyPem: rsa.publicKeyPem });
    const pssKey = await importPKCS8(rsa.privateKeyPem, 'PS256');
    const cause = await expectInvalidToken(rsaVerify(await signClaims(pssKey, userClaims(), { alg: 'PS256' })));
    expect(cause).toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });

  it('verifies against a local JSON Web Key Set', async () => {
    const withKid = await createKeyPair('ES256', 'dev-1');
    const local = createUserTokenVerifier({ issuer, audience, jwks: keySet(withKid) });
    await expect(local(await signClaims(withKid.privateKey, userClaims(), { alg: 'ES256', kid: 'dev-1' }))).resolves.toMatchObject({ subject: 'user-1' });
    await expectInvalidToken(local(await signClaims(withKid.privateKey, userClaims(), { alg: 'ES256', kid: 'dev-2' })));
  });

  it('refuses at start-up to be configured with none, HMAC or no algorithm', () => {
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, algorithms: ['none'] })).toThrow(/not allowed/);
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, algorithms: ['HS256'] })).toThrow(/not allowed/);
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, algorithms: [] })).toThrow(/at least one/);
  });

  it('refuses at start-up a key that none of the pinned algorithms can use', () => {
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, algorithms: ['RS256'] })).toThrow(/none of the pinned algorithms/);
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.privateKeyPem })).toThrow(/PUBLIC KEY/);
  });

  it('refuses at start-up anything but exactly one key source', () => {
    expect(() => createUserTokenVerifier({ issuer, audience } as never)).toThrow(/exactly one/);
    expect(() => createUserTokenVerifier({ issuer, audience, publicKeyPem: key.publicKeyPem, jwks: keySet(key) } as never)).toThrow(/exactly one/);
  });

  it('refuses at start-up a missing issuer or audience', () => {
    expect(() => createUserTokenVerifier({ issuer: '', audience, publicKeyPem: key.publicKeyPem })).toThrow(/issuer/);
    expect(() => createUserTokenVerifier({ issuer, audience: [], publicKeyPem: key.publicKeyPem })).toThrow(/audience/);
  });
});
