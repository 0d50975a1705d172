import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier, ensureDevelopmentKeys, memoizeTokenVerifier, reuseInternalTokens, type Identity } from '../src/index.ts';

async function keys() {
  const folder = await mkdtemp(join(tmpdir(), 'novacron-auth-cache-'));
  await chmod(folder, 0o700);
  return ensureDevelopmentKeys(folder);
}

const identity = (expiresInMs = 3_600_000): Identity => ({ subject: 'alice', tenantId: 'acme', roles: ['operator'], expiresAt: new Date(Date.now() + expiresInMs) });

describe('memoizeTokenVerifier', () => {
  it('verifies a token once and answers repeats from memory until it expires', async () => {
    const { internal } = await keys();
    const token = await createInternalTokenSigner({ privateKeyPem: internal.privateKeyPem, keyId: internal.keyId })(identity());
    const verify = createInternalTokenVerifier({ publicKeyPem: internal.publicKeyPem });
    let calls = 0;
    let clock = Date.now();
    const memoized = memoizeTokenVerifier(async (value: string) => (calls += 1, verify(value)), { now: () => clock });
    const first = await memoized(token);
    expect(await memoized(token)).toBe(first);
    expect(calls).toBe(1);
    // Past the token's exp the memory no longer answers: the signature check runs again (and with the
    // real clock moved on, it would refuse the token).
    clock += 61_000;
    await memoized(token);
    expect(calls).toBe(2);
  });

  it('keeps at most maxEntries tokens, dropping the least recently used', async () => {
    const token = (name: string) => `x.${Buffer.from(JSON.stringify({ sub: name, exp: 9_999_999_999 })).toString('base64url')}.y`;
    const calls: string[] = [];
    const memoized = memoizeTokenVerifier(async (value: string) => void calls.push(value), { maxEntries: 2 });
    await memoized(token('a'));
    await memoized(token('b'));
    await memoized(token('a'));
    await memoized(token('c'));
    calls.length = 0;
    // 'b' was the least recently used when 'c' came in; 'a' and 'c' are still remembered.
    await memoized(token('a'));
    await memoized(token('c'));
    await memoized(token('b'));
    expect(calls).toEqual([token('b')]);
  });

  it('does not remember a token without an expiry', async () => {
    let calls = 0;
    const memoized = memoizeTokenVerifier(async () => void (calls += 1));
    await memoized('x.eyJzdWIiOiJhIn0.y');
    await memoized('x.eyJzdWIiOiJhIn0.y');
    expect(calls).toBe(2);
  });

  it('never remembers a failure', async () => {
    let calls = 0;
    const memoized = memoizeTokenVerifier(async () => {
      calls += 1;
      throw new Error('bad');
    });
    await expect(memoized('x.eyJleHAiOjk5OTk5OTk5OTl9.y')).rejects.toThrow('bad');
    await expect(memoized('x.eyJleHAiOjk5OTk5OTk5OTl9.y')).rejects.toThrow('bad');
    expect(calls).toBe(2);
  });
});

describe('reuseInternalTokens', () => {
  it('reuses a token for the same caller and signs anew for another or when it runs out', async () => {
    const { internal } = await keys();
    const sign = createInternalTokenSigner({ privateKeyPem: internal.privateKeyPem, keyId: internal.keyId, ttlSeconds: 60 });
    let clock = Date.now();
    const reuse = reuseInternalTokens(sign, { minRemainingSeconds: 20, now: () => clock });
    const alice = identity();
    const first = await reuse(alice);
    expect(await reuse({ ...alice })).toBe(first);
    expect(await reuse({ ...alice, roles: ['admin'] })).not.toBe(first);
    expect(await reuse({ system: true, subject: 'feed' })).not.toBe(first);
    clock += 45_000;
    const later = await reuse(alice);
    expect(later).not.toBe(first);
    const principal = await createInternalTokenVerifier({ publicKeyPem: internal.publicKeyPem })(later);
    expect(principal).toMatchObject({ kind: 'user', identity: { subject: 'alice', tenantId: 'acme', roles: ['operator'] } });
  });
});
