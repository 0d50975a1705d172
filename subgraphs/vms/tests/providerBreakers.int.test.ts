import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { clearFaults, createProviderRegistry, injectFault, ProviderError, type ProviderDriver, type ProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { createProviderBreakers } from '../src/worker/createProviderBreakers.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import type { VmsServices } from '../src/context.ts';
import { testConfig } from './support/testConfig.ts';
import { testCredentialKeys } from './support/testServices.ts';
import { randomBytes } from 'node:crypto';

let database: TestDatabase;
let sql: Sql;
let db: Database;
let providers: ProviderRegistry;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 5 });
  db = createDatabase(sql);
  providers = createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1_000 });
});
afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

/** How many more calls the injected faults of a region will fail: what reached the simulated cloud. */
async function faultsLeft(region: string): Promise<number> {
  const [row] = await sql<{ left: number }[]>`select coalesce(sum(remaining), 0)::int as left from simcloud.faults where region = ${region}`;
  return row!.left;
}

const createIn = (driver: ProviderDriver, region: string, token: string) =>
  driver.create({ name: `breaker-${token}`, region, instanceType: 't3.micro', image: 'debian-12', clientToken: token, labels: {} } as Parameters<ProviderDriver['create']>[0]);

describe('circuit breakers on provider calls', () => {
  it('stops calling a provider that keeps failing, refuses at once with a transient CircuitOpen, and closes by itself once it answers', async () => {
    const breakers = createProviderBreakers({ consecutiveFailures: 3, halfOpenAfterMs: 300 });
    const driver = breakers.wrap(providers.get('aws')!, 'aws');
    await injectFault(sql, { provider: 'aws', action: 'create', kind: 'transient', count: 100, region: 'ap-south-1', code: 'ServiceUnavailable' });

    for (let call = 0; call < 3; call += 1) await expect(createIn(driver, 'ap-south-1', `fail-${call}`)).rejects.toMatchObject({ providerCode: 'ServiceUnavailable' });
    expect(breakers.state('aws')).toBe('open');
    expect(breakers.timesOpened('aws')).toBe(1);
    const refused = await createIn(driver, 'ap-south-1', 'refused').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ providerCode: 'CircuitOpen', transient: true });
    expect((refused as ProviderError).retryAfterMs).toBeGreaterThan(0);
    // Only the three calls before the breaker opened reached the cloud.
    expect(await faultsLeft('ap-south-1')).toBe(97);

    await clearFaults(sql, 'aws');
    await sleep(350);
    const instance = await createIn(driver, 'ap-south-1', 'probe');
    expect(instance.providerId).toBeTruthy();
    expect(breakers.state('aws')).toBe('closed');
  });

  it('does not count no-capacity answers or permanent errors against the provider', async () => {
    const breakers = createProviderBreakers({ consecutiveFailures: 2, halfOpenAfterMs: 60_000 });
    const driver = breakers.wrap(providers.get('gcp')!, 'gcp');
    await injectFault(sql, { provider: 'gcp', action: 'create', kind: 'permanent', count: 3, region: 'europe-west1', code: 'ZONE_RESOURCE_POOL_EXHAUSTED' });
    for (let call = 0; call < 3; call += 1) await expect(createIn(driver, 'europe-west1', `full-${call}`)).rejects.toBeInstanceOf(ProviderError);
    expect(breakers.state('gcp')).toBe('closed');
  });

  it('backs a create off while its provider is failing and finishes it once the provider recovers', async () => {
    const services: VmsServices = { db, providers, config: testConfig(database.url), credentialKeys: testCredentialKeys() };
    const breakers = createProviderBreakers({ consecutiveFailures: 2, halfOpenAfterMs: 200 });
    const context: WorkerContext = {
      db,
      providers,
      breakers,
      logger: createLogger('test', 'silent'),
      workerId: 'breaker-test',
      leaseSeconds: 30,
      retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 1_000 },
      maxRedrives: 3,
      transitionTimeoutSeconds: 30,
    };
    await injectFault(sql, { provider: 'azure', action: '*', kind: 'transient', count: 2 });
    const operation = await requestCreate(services, 'default', { name: `breaker-${randomBytes(3).toString('hex')}`, provider: 'azure', region: 'eastus', instanceType: 'Standard_B2ms', image: 'debian-12' }, null);
    await executeOperation(context, operation.id);
    const [row] = await sql<{ status: string; attempts: number }[]>`select status, attempts from vms.operations where id = ${operation.id}`;
    expect(row!.status).toBe('SUCCEEDED');
    // Two failures opened the breaker; the refusals made the operation wait for the probe instead of calling.
    expect(row!.attempts).toBeGreaterThanOrEqual(3);
    expect(breakers.timesOpened('azure')).toBe(1);
    expect(breakers.state('azure')).toBe('closed');
  });
});
