import { randomBytes } from 'node:crypto';
import type { Sql } from '@novacron/db';
import { createProviderRegistry, type ProviderRegistry } from '@novacron/providers';
import { parseCredentialKeys, type CredentialKeys } from '@novacron/secrets';
import type { VmsServices } from '../../src/context.ts';
import { createDatabase } from '../../src/db/createDatabase.ts';
import { createCredentialsLoader } from '../../src/domain/loadProviderCredentials.ts';
import { testConfig } from './testConfig.ts';

/** A fresh credential key ring for a test. */
export function testCredentialKeys(): CredentialKeys {
  return parseCredentialKeys(`test:${randomBytes(32).toString('base64')}`);
}

/**
 * The services the vms domain functions and the worker run on, over `sql`: the simulated clouds with no
 * latency (`capacityPerRegion` 1,000 unless given) and a fresh credential key ring; `providers` builds
 * another registry from the database and key ring (an emulated cloud's driver, say).
 */
export function testServices(
  sql: Sql,
  databaseUrl: string,
  options: { capacityPerRegion?: number; providers?: (loadCredentials: ReturnType<typeof createCredentialsLoader>) => ProviderRegistry } = {},
): VmsServices {
  const db = createDatabase(sql);
  const credentialKeys = testCredentialKeys();
  const providers = options.providers?.(createCredentialsLoader(db, credentialKeys)) ?? createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: options.capacityPerRegion ?? 1_000 });
  return { db, providers, config: testConfig(databaseUrl), credentialKeys };
}
