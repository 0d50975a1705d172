import { decodeJwt, decodeProtectedHeader, errors, importPKCS8 } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier, developmentAudience, developmentIssuer, type Identity, type InternalTokenVerifier } from '../src/index.ts';
import { expectInvalidToken } from './expectRejection.ts';
import { createKeyPair, nowSeconds, signClaims, type TestKeyPair } from './tokenFixtures.ts';

let gatewayKey: TestKeyPair;
let otherKey: TestKeyPair;
let verify: InternalTokenVerifier;

const alice: Identity = { subject: 'alice', tenantId: 'acme', roles: ['viewer', 'operator'], expiresAt: new Date(Date.now() + 3_600_000) };

beforeAll(async () => {
  gatewayKey = await createKeyPair('ES256');
  otherKey = await createKeyPair('ES256');
  verify = createInternalTokenVerifier({ publicKeyPem: gatewayKey.publicKeyPem });
});

describe('internal tokens', () => {
  it('carry a user identity from the gateway to a subgraph', async () => {
    const sign = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1' });
    const token = await sign(alice);
    const principal = await verify(token);
    expect(principal).toMatchObject({ kind: 'user', identity: { subject: 'alice', tenantId: 'acme', roles: ['viewer', 'operator'] } });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'gw-1', typ: 'novacron-internal+jwt' });
  });

  it('carry the gateway itself as a system caller', async () => {
    const sign = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1' });
    await expect(verify(await sign({ system: true, subject: 'gateway/event-feed' }))).resolves.toEqual({ kind: 'system', subject: 'gateway/event-feed' });
  });

  it('live ttlSeconds by default, and never longer than the user token they vouch for', async () => {
    const sign = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1' });
    const now = nowSeconds();
    const claims = decodeJwt(await sign(alice));
    expect(claims.exp! - claims.iat!).toBe(60);
    const soon = new Date((now + 20) * 1000);
    const shortLived = decodeJwt(await sign({ ...alice, expiresAt: soon }));
    expect(shortLived.exp).toBe(now + 20);
  });

  it('are rejected once expired', async () => {
    const sign = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1' });
    const token = await sign({ ...alice, expiresAt: new Date((nowSeconds() - 30) * 1000) });
    const cause = await expectInvalidToken(verify(token));
    expect(cause).toBeInstanceOf(errors.JWTExpired);
  });

  it('are rejected when signed by another key', async () => {
    const sign = createInternalTokenSigner({ privateKeyPem: otherKey.privateKeyPem, keyId: 'gw-1' });
    const cause = await expectInvalidToken(verify(await sign(alice)));
    expect(cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('are rejected for another issuer or audience', async () => {
    const otherAudience = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1', audience: 'somewhere-else' });
    await expectInvalidToken(verify(await otherAudience(alice)));
    const otherIssuer = createInternalTokenSigner({ privateKeyPem: gatewayKey.privateKeyPem, keyId: 'gw-1', issuer: 'not-the-gateway' });
    await expectInvalidToken(verify(await otherIssuer(alice)));
  });

  it('cannot be replaced by a user token, even one signed with the internal key', async () => {
    const now = nowSeconds();
    const userShaped = { iss: developmentIssuer, aud: developmentAudience, sub: 'mallory', iat: now, exp: now + 60, tenant: 'acme', roles: ['admin'] };
    const internalKey = await importPKCS8(gatewayKey.privateKeyPem, 'ES256');
    await expectInvalidToken(verify(await signClaims(otherKey.privateKey, userShaped, { alg: 'ES256', typ: 'JWT' })));
    await expectInvalidToken(verify(await signClaims(internalKey, userShaped, { alg: 'ES256', typ: 'JWT' })));
    // Right issuer and audience but the user-token type: still refused.
    const untyped = { ...userShaped, iss: 'novacron-gateway', aud: 'novacron-subgraphs' };
    const cause = await expectInvalidToken(verify(await signClaims(internalKey, untyped, { alg: 'ES256', typ: 'JWT' })));
    expect(cause.message).toMatch(/typ/);
  });

  it('refuse a signer key that is not ES256', async () => {
    const rsa = await createKeyPair('RS256');
    expect(() => createInternalTokenSigner({ privateKeyPem: rsa.privateKeyPem, keyId: 'gw-1' })).toThrow(/ES256/);
    expect(() => createInternalTokenSigner({ privateKeyPem: 'not a key', keyId: 'gw-1' })).toThrow(/private key/);
    expect(() => createInternalTokenVerifier({ publicKeyPem: rsa.publicKeyPem })).toThrow(/none of the pinned algorithms/);
  });
});
