import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevelopmentKeys, type DevelopmentKeys } from '@novacron/auth';
import { createLogger } from '@novacron/server-kit';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { start, type RunningGateway } from '../../src/server.ts';

/** Development keys in a private temporary folder, and how to remove it. */
export async function createTestKeys(): Promise<{ keysDir: string; keys: DevelopmentKeys; remove(): Promise<void> }> {
  const keysDir = await mkdtemp(join(tmpdir(), 'novacron-gateway-keys-'));
  await chmod(keysDir, 0o700);
  const keys = await ensureDevelopmentKeys(keysDir);
  return { keysDir, keys, remove: () => rm(keysDir, { recursive: true, force: true }) };
}

/**
 * A gateway on a free port in front of one vms subgraph URL, verifying development tokens from
 * `keysDir` (the production switch needs NOVACRON_DEV=1, which the tests do not set), with no event
 * signals or database (its tails poll once a minute); `overrides` replaces whole config sections,
 * given the loaded configuration.
 */
export function startTestGateway(vmsUrl: string, keysDir: string, overrides: (base: GatewayConfig) => Partial<GatewayConfig> = () => ({})): Promise<RunningGateway> {
  const base = loadConfig();
  const config: GatewayConfig = {
    ...base,
    production: false,
    port: 0,
    subgraphUrls: { vms: vmsUrl },
    auth: { ...base.auth, keysDir },
    events: { ...base.events, redisUrl: undefined, databaseUrl: undefined, pollIntervalMs: 60_000 },
    ...overrides(base),
  };
  return start(config, createLogger('gateway-test', 'silent'));
}
