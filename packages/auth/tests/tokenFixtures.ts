import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';

/** A freshly generated key pair in every form the tests need. */
export interface TestKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  privateKeyPem: string;
  publicKeyPem: string;
  publicJwk: JWK;
}

export const issuer = 'https://issuer.test/';
export const audience = 'novacron-test';
export const tenantClaim = 'https://novacron.dev/tenant';
export const rolesClaim = 'https://novacron.dev/roles';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export async function createKeyPair(algorithm: 'ES256' | 'RS256' = 'ES256', keyId?: string): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), alg: algorithm, use: 'sig', ...(keyId !== undefined && { kid: keyId }) };
  return { privateKey, publicKey, privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey), publicJwk };
}

export function keySet(...pairs: TestKeyPair[]): JSONWebKeySet {
  return { keys: pairs.map((pair) => pair.publicJwk) };
}

/** Claims of a valid user token, to be overridden per test; `undefined` removes a claim. */
export function userClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = nowSeconds();
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: audience,
    sub: 'user-1',
    iat: now,
    exp: now + 600,
    [tenantClaim]: 'acme',
    [rolesClaim]: ['operator'],
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

/** Signs exactly the given claims (no defaults added by SignJWT's setters). */
export function signClaims(key: CryptoKey | Uint8Array, claims: JWTPayload, header: { alg: string; kid?: string; typ?: string } = { alg: 'ES256' }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** Builds a compact JWT by hand, for shapes jose refuses to produce (`alg: none`). */
export function handCraftJwt(header: object, payload: object, signature = ''): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/** A JWKS endpoint on a real HTTP server (port 0) whose key set can be swapped, counting fetches. */
export interface JwksServer {
  url: string;
  fetches: number;
  serve(jwks: JSONWebKeySet): void;
  close(): Promise<void>;
}

export async function startJwksServer(initial: JSONWebKeySet): Promise<JwksServer> {
  let current = initial;
  const server: Server = createServer((request, response) => {
    state.fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(current));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const state: JwksServer = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    fetches: 0,
    serve(jwks) {
      current = jwks;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return state;
}
