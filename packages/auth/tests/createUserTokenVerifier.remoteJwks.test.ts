import { errors } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createUserTokenVerifier } from '../src/index.ts';
import { expectInvalidToken } from './expectRejection.ts';
import { audience, createKeyPair, issuer, keySet, signClaims, startJwksServer, userClaims, type JwksServer } from './tokenFixtures.ts';

const servers: JwksServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function jwksServer(...args: Parameters<typeof startJwksServer>): Promise<JwksServer> {
  const server = await startJwksServer(...args);
  servers.push(server);
  return server;
}

describe('createUserTokenVerifier with a JWKS URL', () => {
  it('verifies a token against the fetched key set and caches it', async () => {
    const key = await createKeyPair('ES256', 'key-a');
    const server = await jwksServer(keySet(key));
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url });
    const token = await signClaims(key.privateKey, userClaims(), { alg: 'ES256', kid: 'key-a' });
    await expect(verify(token)).resolves.toMatchObject({ subject: 'user-1', tenantId: 'acme', roles: ['operator'] });
    await expect(verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    expect(server.fetches).toBe(1);
  });

  it('rejects a token whose kid is in no key set, even after refetching', async () => {
    const key = await createKeyPair('ES256', 'key-a');
    const stranger = await createKeyPair('ES256');
    const server = await jwksServer(keySet(key));
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url, jwksCooldownMs: 0 });
    await verify(await signClaims(key.privateKey, userClaims(), { alg: 'ES256', kid: 'key-a' }));
    const cause = await expectInvalidToken(verify(await signClaims(stranger.privateKey, userClaims(), { alg: 'ES256', kid: 'key-unknown' })));
    expect(cause).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(server.fetches).toBe(2);
  });

  it('rejects a token signed by another key under a known kid', async () => {
    const key = await createKeyPair('ES256', 'key-a');
    const impostor = await createKeyPair('ES256');
    const server = await jwksServer(keySet(key));
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url });
    const cause = await expectInvalidToken(verify(await signClaims(impostor.privateKey, userClaims(), { alg: 'ES256', kid: 'key-a' })));
    expect(cause).toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('accepts a token with a new kid once the key set has rotated', async () => {
    const oldKey = await createKeyPair('ES256', 'key-old');
    const newKey = await createKeyPair('RS256', 'key-new');
    const server = await jwksServer(keySet(oldKey));
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url, jwksCooldownMs: 0 });
    await expect(verify(await signClaims(oldKey.privateKey, userClaims(), { alg: 'ES256', kid: 'key-old' }))).resolves.toBeDefined();
    const newToken = await signClaims(newKey.privateKey, userClaims({ sub: 'rotated' }), { alg: 'RS256', kid: 'key-new' });

    server.serve(keySet(newKey));
    await expect(verify(newToken)).resolves.toMatchObject({ subject: 'rotated' });
    expect(server.fetches).toBe(2);
  });

  it('does not refetch the key set for unknown kids during the cooldown', async () => {
    const key = await createKeyPair('ES256', 'key-a');
    const server = await jwksServer(keySet(key));
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url, jwksCooldownMs: 60_000 });
    await verify(await signClaims(key.privateKey, userClaims(), { alg: 'ES256', kid: 'key-a' }));
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims(), { alg: 'ES256', kid: `flood-${attempt}` })));
    }
    expect(server.fetches).toBe(1);
  });

  it('fails closed when the JWKS endpoint is unreachable', async () => {
    const key = await createKeyPair('ES256', 'key-a');
    const server = await startJwksServer(keySet(key));
    await server.close();
    const verify = createUserTokenVerifier({ issuer, audience, jwksUrl: server.url, jwksTimeoutMs: 1_000 });
    await expectInvalidToken(verify(await signClaims(key.privateKey, userClaims(), { alg: 'ES256', kid: 'key-a' })));
  });
});
