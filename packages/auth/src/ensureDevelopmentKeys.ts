import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import { developmentAudience, developmentIssuer } from './developmentIssuer.ts';

/** One ES256 key pair, PEM-encoded, with its `kid` (the RFC 7638 thumbprint of the public key). */
export interface DevelopmentKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/** The development keys: one pair signs user tokens, a separate pair signs gateway → subgraph tokens. */
export interface DevelopmentKeys {
  user: DevelopmentKeyPair;
  internal: DevelopmentKeyPair;
}

/**
 * Loads the development key pairs from `folder`, creating them on first use: PEM files with mode
 * 0600 in a 0700 folder. Safe when several processes start at once (the gateway and subgraphs
 * under `npm start`): the first private key written wins and everyone else reads it.
 */
export async function ensureDevelopmentKeys(folder: string): Promise<DevelopmentKeys> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const [user, internal] = await Promise.all([ensureKeyPair(folder, 'user-token'), ensureKeyPair(folder, 'internal-token')]);
  return { user, internal };
}

async function ensureKeyPair(folder: string, name: string): Promise<DevelopmentKeyPair> {
  const privatePath = join(folder, `${name}.private.pem`);
  const privateKeyPem = (await readIfExists(privatePath)) ?? (await createPrivateKeyFile(privatePath));
  const publicKey = publicKeyOf(privateKeyPem, privatePath);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // The public key is derived from the private one on every load; the file is a convenience for
  // configuring other processes, rewritten if missing or stale.
  const publicPath = join(folder, `${name}.public.pem`);
  if ((await readIfExists(publicPath)) !== publicKeyPem) await writeAtomically(publicPath, publicKeyPem);
  const keyId = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
  return { privateKeyPem, publicKeyPem, keyId };
}

async function createPrivateKeyFile(path: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pem = await exportPKCS8(privateKey);
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  try {
    // link() never replaces an existing file: if another process got there first, use its key.
    await link(temporary, path);
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(path, 'utf8');
  } finally {
    await rm(temporary, { force: true });
  }
}

async function writeAtomically(path: string, contents: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, contents, { mode: 0o600, flag: 'wx' });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

function publicKeyOf(privateKeyPem: string, path: string) {
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (error) {
    throw new Error(`${path} is not a PEM private key; delete it to generate a new one`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${path} is not an ES256 (EC P-256) private key; delete it to generate a new one`);
  }
  return createPublicKey(privateKey);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The environment that configures `keys` explicitly (issuer, audience, user-token public key, the
 * internal-token pair), as an operator would: production mode refuses development keys, so tests and
 * benchmarks that run it pass these. Credential keys are not among them.
 */
export function configuredKeyEnvironment(keys: DevelopmentKeys): Record<string, string> {
  return {
    AUTH_ISSUER: developmentIssuer,
    AUTH_AUDIENCE: developmentAudience,
    AUTH_PUBLIC_KEY: keys.user.publicKeyPem,
    INTERNAL_TOKEN_PRIVATE_KEY: keys.internal.privateKeyPem,
    INTERNAL_TOKEN_KEY_ID: keys.internal.keyId,
    INTERNAL_TOKEN_PUBLIC_KEY: keys.internal.publicKeyPem,
  };
}
