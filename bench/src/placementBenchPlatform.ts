import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configuredKeyEnvironment, createInternalTokenSigner, ensureDevelopmentKeys, internalTokenAudience, internalTokenHeader, signDevelopmentToken } from '@novacron/auth';
import { freePort } from '@novacron/testing';
import { startBenchDatabase } from './startBenchDatabase.ts';
import { retryWhenPortTaken } from './supervisePlatform.ts';

/** The processes the placement benchmark measures, each on its own port. */
export interface PlacementBenchPlatform {
  gatewayUrl: string;
  placementUrl: string;
  /** Bearer token for the gateway (tenant `bench`, role viewer). */
  gatewayHeaders: Record<string, string>;
  /** The internal token the gateway would send to the placement subgraph, signed with the same key. */
  subgraphHeaders: Record<string, string>;
  pids: { gateway: number; placement: number; vms: number };
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

async function waitForReady(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}) before it was ready`);
    if (await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false)) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${name} was not ready at ${url} within 120 s`);
}

/**
 * Starts a throw-away PostgreSQL, the vms and placement subgraphs and a gateway as separate Node
 * processes (the shipped topology, without the vms workers: no VM is created), the gateway planning
 * over the committed supergraph with both subgraphs' URLs overridden.
 */
export async function startPlacementBenchPlatform(log: (line: string) => void, cpuProfileDir?: string, extraEnv: Record<string, string> = {}): Promise<PlacementBenchPlatform> {
  return retryWhenPortTaken(() => startPlacementBenchPlatformOnce(log, cpuProfileDir, extraEnv), log);
}

async function startPlacementBenchPlatformOnce(log: (line: string) => void, cpuProfileDir?: string, extraEnv: Record<string, string> = {}): Promise<PlacementBenchPlatform> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  };
  try {
    const { folder, databaseUrl, sql } = await startBenchDatabase({ folderPrefix: 'novacron-bench-placement-', database: 'bench', applicationName: 'novacron-bench', cleanups });
    cleanups.push(() => sql.end({ timeout: 5 }));
    const keysDir = join(folder, 'keys');
    const keys = await ensureDevelopmentKeys(keysDir);
    const [gatewayPort, vmsPort, placementPort] = [await freePort(), await freePort(), await freePort()];
    const vmsUrl = `http://127.0.0.1:${vmsPort}/graphql`;
    const placementUrl = `http://127.0.0.1:${placementPort}/graphql`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NOVACRON_KEYS_DIR: keysDir,
      LOG_LEVEL: 'warn',
      VMS_PORT: String(vmsPort),
      PLACEMENT_PORT: String(placementPort),
      GATEWAY_PORT: String(gatewayPort),
      VMS_URL: vmsUrl,
      PLACEMENT_URL: placementUrl,
      // The per-tenant and per-address rate limits would measure the limiters, not placement; they still run on every request.
      RATE_LIMIT_POINTS: '1000000000',
      RATE_LIMIT_ADDRESS_POINTS: '1000000000',
      // Production mode, as shipped (masked errors, no introspection; NODE_ENV=production as
      // docs/security.md deploys it, which also turns off graphql-js's development-only checks, 7–11 %
      // of the placement process's CPU in a profile without it): it refuses development keys, so
      // the same keys are configured explicitly, as an operator would.
      NODE_ENV: 'production',
      ...configuredKeyEnvironment(keys),
      CREDENTIALS_KEYS: `bench-1:${randomBytes(32).toString('base64')}`,
      // Which caches run is the caller's choice (the bench prints it).
      ...extraEnv,
    };
    const startChild = async (name: string, entry: string, readyUrl: string) => {
      // With a profile folder, each process writes a V8 CPU profile there when it stops (adds overhead),
      // under V8's default name (it carries the pid summarizeCpuProfiles.ts maps to a role).
      const flags = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
      const child = spawn(process.execPath, [...flags, entry], { cwd: repositoryRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      cleanups.push(async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => {
          log(`${name} did not stop within 10 s of SIGTERM; killing it`);
          child.kill('SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(timer);
      });
      await waitForReady(readyUrl, child, name);
      return child;
    };
    // One at a time: vms and placement both migrate the same database at start.
    const vms = await startChild('vms', 'subgraphs/vms/src/index.ts', `http://127.0.0.1:${vmsPort}/ready`);
    const placement = await startChild('placement', 'subgraphs/placement/src/index.ts', `http://127.0.0.1:${placementPort}/ready`);
    // /health, not /ready: the gateway is ready only when every subgraph of the supergraph answers, and
    // this platform runs only the two the measured queries reach (placement, and vms for the VM type).
    const gateway = await startChild('gateway', 'gateway/src/index.ts', `http://127.0.0.1:${gatewayPort}/health`);

    const userToken = await signDevelopmentToken({ keys, tenant: 'bench', roles: ['viewer'], subject: 'bench', ttlSeconds: 4 * 3600 });
    const signInternal = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, ttlSeconds: 4 * 3600, audience: internalTokenAudience('placement') });
    const internalToken = await signInternal({ subject: 'bench', tenantId: 'bench', roles: ['viewer'], expiresAt: new Date(Date.now() + 4 * 3_600_000) });
    return {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}/graphql`,
      placementUrl,
      gatewayHeaders: { authorization: `Bearer ${userToken}` },
      subgraphHeaders: { [internalTokenHeader]: internalToken },
      pids: { gateway: gateway.pid!, placement: placement.pid!, vms: vms.pid! },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
