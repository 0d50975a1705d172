import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  createUserTokenVerifier,
  developmentAudience,
  developmentIssuer,
  developmentJwks,
  ensureDevelopmentKeys,
  signDevelopmentToken,
} from '../src/index.ts';
import { expectAppError } from './expectRejection.ts';

let folder: string;

beforeEach(async () => {
  folder = join(await mkdtemp(join(tmpdir(), 'novacron-auth-')), 'keys');
});

afterEach(async () => {
  await rm(join(folder, '..'), { recursive: true, force: true });
});

describe('ensureDevelopmentKeys', () => {
  it('creates the key pairs once and reuses them on later calls', async () => {
    const first = await ensureDevelopmentKeys(folder);
    const second = await ensureDevelopmentKeys(folder);
    expect(second).toEqual(first);
    expect(first.user.keyId).toMatch(/^[\w-]{43}$/);
    expect(first.internal.keyId).not.toBe(first.user.keyId);
    expect(first.internal.privateKeyPem).not.toBe(first.user.privateKeyPem);
  });

  it('writes PEM files readable by the owner only', async () => {
    await ensureDevelopmentKeys(folder);
    const files = (await readdir(folder)).sort();
    expect(files).toEqual(['internal-token.private.pem', 'internal-token.public.pem', 'user-token.private.pem', 'user-token.public.pem']);
    for (const file of files) expect((await stat(join(folder, file))).mode & 0o777).toBe(0o600);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });

  it('hands every concurrent caller the same keys', async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => ensureDevelopmentKeys(folder)));
    for (const keys of all) expect(keys).toEqual(all[0]);
    expect((await readdir(folder)).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });

  it('restores a deleted public key file from the private key', async () => {
    const first = await ensureDevelopmentKeys(folder);
    await rm(join(folder, 'user-token.public.pem'));
    expect(await ensureDevelopmentKeys(folder)).toEqual(first);
  });

  it('refuses a private key file that is not an ES256 key', async () => {
    await ensureDevelopmentKeys(folder);
    await writeFile(join(folder, 'user-token.private.pem'), 'garbage');
    await expect(ensureDevelopmentKeys(folder)).rejects.toThrow(/delete it/);
  });
});

describe('signDevelopmentToken', () => {
  it('signs a user token the development verifier accepts', async () => {
    const keys = await ensureDevelopmentKeys(folder);
    const verify = createUserTokenVerifier({ issuer: developmentIssuer, audience: developmentAudience, jwks: developmentJwks(keys) });
    const token = await signDevelopmentToken({ keys, tenant: 'acme', roles: ['operator'], subject: 'alice' });
    await expect(verify(token)).resolves.toMatchObject({ subject: 'alice', tenantId: 'acme', roles: ['operator'] });
  });

  it('signs tokens a verifier built from the public key PEM accepts too', async () => {
    const keys = await ensureDevelopmentKeys(folder);
    const verify = createUserTokenVerifier({ issuer: developmentIssuer, audience: developmentAudience, publicKeyPem: keys.user.publicKeyPem });
    const identity = await verify(await signDevelopmentToken({ keys, tenant: 'acme', roles: ['viewer'], ttlSeconds: 120 }));
    expect(identity.subject).toBe('developer');
    expect(identity.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(120_000);
  });

  it('signs with the user key, so the internal key cannot verify it', async () => {
    const keys = await ensureDevelopmentKeys(folder);
    const verify = createUserTokenVerifier({ issuer: developmentIssuer, audience: developmentAudience, publicKeyPem: keys.internal.publicKeyPem });
    await expectAppError(verify(await signDevelopmentToken({ keys, tenant: 'acme', roles: ['viewer'] })), 'UNAUTHENTICATED');
  });

  it('rejects a malformed tenant or an empty role list naming the field', async () => {
    const keys = await ensureDevelopmentKeys(folder);
    const badTenant = await expectAppError(signDevelopmentToken({ keys, tenant: 'Acme Corp', roles: ['viewer'] }), 'BAD_USER_INPUT');
    expect(badTenant.extensions.field).toBe('tenant');
    const noRoles = await expectAppError(signDevelopmentToken({ keys, tenant: 'acme', roles: [] }), 'BAD_USER_INPUT');
    expect(noRoles.extensions.field).toBe('roles');
  });

  it('pairs the internal development keys for gateway → subgraph tokens', async () => {
    const keys = await ensureDevelopmentKeys(folder);
    const sign = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId });
    const verify = createInternalTokenVerifier({ publicKeyPem: keys.internal.publicKeyPem });
    await expect(verify(await sign({ system: true, subject: 'gateway' }))).resolves.toEqual({ kind: 'system', subject: 'gateway' });
  });
});
