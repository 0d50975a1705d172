import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserTokenVerifier, developmentAudience, developmentIssuer, developmentJwks, ensureDevelopmentKeys } from '@novacron/auth';
import { loadConfig, type GatewayConfig } from '../src/config.ts';
import { start, type RunningGateway } from '../src/server.ts';

async function tempDir(prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  await chmod(folder, 0o700);
  return folder;
}

/** A built dashboard in miniature: index.html and one hashed asset. */
async function webRoot(): Promise<string> {
  const root = await tempDir('novacron-web-');
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>NovaCron</title><div id="root"></div>');
  await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  return root;
}

function withEnv<T>(env: Record<string, string | undefined>, run: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    return run();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

async function startGateway(web: Partial<GatewayConfig['web']>, keysDir: string): Promise<RunningGateway> {
  const base = loadConfig();
  return start({ ...base, port: 0, metricsPort: 0, production: false, web: { ...base.web, ...web }, auth: { ...base.auth, keysDir } });
}

/** A raw GET, so paths like `/../x` reach the server unnormalized (fetch would resolve them). */
function rawGet(port: number, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const mint = (base: string, body: unknown, contentType = 'application/json') =>
  fetch(new URL('/auth/dev-token', base), { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(body) });

describe('the gateway serves the dashboard and development sign-in', () => {
  let keysDir: string;
  let development: RunningGateway;
  let hardened: RunningGateway;
  let devBase: string;
  let hardBase: string;

  beforeAll(async () => {
    keysDir = await tempDir('novacron-web-keys-');
    const root = await webRoot();
    development = await startGateway({ root, devTokens: true }, keysDir);
    hardened = await startGateway({ root, devTokens: false }, keysDir);
    devBase = `http://127.0.0.1:${development.port}`;
    hardBase = `http://127.0.0.1:${hardened.port}`;
  });
  afterAll(async () => {
    await development?.stop();
    await hardened?.stop();
  });

  it('serves index.html, assets with their content types, and falls back to index.html for app routes', async () => {
    const index = await rawGet(development.port, '/');
    expect(index).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(index.body).toContain('<div id="root">');
    const asset = await rawGet(development.port, '/assets/index-abc123.js');
    expect(asset).toMatchObject({ status: 200, type: expect.stringMatching(/javascript/), body: 'console.log("dashboard")' });
    const route = await rawGet(development.port, '/vms/123');
    expect(route).toMatchObject({ status: 200, type: expect.stringMatching(/^text\/html/) });
    expect(route.body).toContain('<div id="root">');
  });

  it('never serves a file outside the web root', async () => {
    for (const path of ['/../package.json', '/..%2f..%2fpackage.json', '/assets/../../package.json', '/%2e%2e/%2e%2e/gateway/package.json']) {
      const response = await rawGet(development.port, path);
      expect(response.body).not.toContain('@novacron/gateway');
      expect(response.body).not.toContain('"workspaces"');
    }
  });

  it('keeps /graphql, /health and /ready apart from the dashboard', async () => {
    const health = await fetch(new URL('/health', devBase));
    expect(await health.json()).toEqual({ status: 'ok' });
    const graphql = await fetch(new URL('/graphql', devBase), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(graphql.status).toBe(401);
  });

  it('mints a development token the gateway accepts when NOVACRON_DEV=1', async () => {
    const response = await mint(devBase, { tenant: 'acme', role: 'operator' });
    expect(response.status).toBe(200);
    const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: string };
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const keys = await ensureDevelopmentKeys(keysDir);
    const verify = createUserTokenVerifier({ issuer: developmentIssuer, audience: developmentAudience, jwks: developmentJwks(keys), algorithms: ['ES256'], clockToleranceSeconds: 0 });
    await expect(verify(token)).resolves.toMatchObject({ tenantId: 'acme', roles: ['operator'] });
    const config = await fetch(new URL('/auth/config', devBase));
    expect(await config.json()).toMatchObject({ mode: 'development' });
  });

  it('refuses bad development-token requests with a code and the field', async () => {
    const badTenant = await mint(devBase, { tenant: '-bad', role: 'admin' });
    expect(badTenant.status).toBe(400);
    expect(await badTenant.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'tenant' } }] });
    const badRole = await mint(devBase, { tenant: 'acme', role: 'root' });
    expect(await badRole.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'role' } }] });
    // A form post (no JSON content type) cannot mint a token: no cross-site minting through a browser.
    const form = await mint(devBase, { tenant: 'acme', role: 'admin' }, 'text/plain');
    expect(form.status).toBe(400);
    const get = await fetch(new URL('/auth/dev-token', devBase));
    expect(get.status).toBe(400);
  });

  it('refuses development tokens when development mode is off', async () => {
    const response = await mint(hardBase, { tenant: 'acme', role: 'admin' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const config = await fetch(new URL('/auth/config', hardBase));
    expect(await config.json()).toMatchObject({ mode: 'oidc' });
  });

  it('enables development tokens only with NOVACRON_DEV=1 outside production', () => {
    expect(withEnv({ NOVACRON_DEV: '1', NODE_ENV: 'development' }, loadConfig).web.devTokens).toBe(true);
    expect(withEnv({ NOVACRON_DEV: undefined, NODE_ENV: 'development' }, loadConfig).web.devTokens).toBe(false);
    expect(withEnv({ NOVACRON_DEV: '0', NODE_ENV: undefined }, loadConfig).web.devTokens).toBe(false);
    expect(() => withEnv({ NOVACRON_DEV: '1', NODE_ENV: 'production' }, loadConfig)).toThrow(/NODE_ENV=production/);
  });
});
