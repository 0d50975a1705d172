import { describe, expect, it } from 'vitest';
import { createSimulatedDriver, injectFault, type ProviderDriver } from '../src/index.ts';
import { instanceRequest } from './support/instanceRequest.ts';
import { useSimulatedCloud } from './support/useSimulatedCloud.ts';

const cloud = useSimulatedCloud();

function driver(provider: 'aws' | 'azure' | 'gcp', capacityPerRegion = 1000, latencyMs = { min: 0, max: 0 }): ProviderDriver {
  return createSimulatedDriver({ provider, sql: cloud.db.sql, latencyMs, capacityPerRegion });
}

async function rowsWithToken(clientToken: string): Promise<number> {
  const rows = await cloud.db.sql`select 1 from simcloud.instances where client_token = ${clientToken}`;
  return rows.length;
}

describe('idempotent create', () => {
  it('returns the same instance for a repeated client token', async () => {
    const aws = driver('aws');
    const request = instanceRequest();
    const first = await aws.create(request);
    const again = await aws.create(request);
    expect(again).toEqual(first);
    expect(await rowsWithToken(request.clientToken)).toBe(1);
  });

  it('makes exactly one instance from 20 concurrent creates with one token', async () => {
    const aws = driver('aws', 1000, { min: 20, max: 40 });
    const request = instanceRequest({ region: 'us-west-2' });
    const results = await Promise.all(Array.from({ length: 20 }, () => aws.create(request)));
    expect(new Set(results.map((instance) => instance.providerId)).size).toBe(1);
    expect(await rowsWithToken(request.clientToken)).toBe(1);
  });

  it('makes one instance when one token races in through two regions', async () => {
    const gcp = driver('gcp');
    const request = instanceRequest({ instanceType: 'e2-standard-2' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => gcp.create({ ...request, region: index % 2 === 0 ? 'us-central1' : 'europe-west1' })),
    );
    expect(new Set(results.map((instance) => instance.providerId)).size).toBe(1);
    expect(await rowsWithToken(request.clientToken)).toBe(1);
  });

  it('finds an instance by its client token, and nothing for an unknown token', async () => {
    const azure = driver('azure');
    const request = instanceRequest({ region: 'centralus', instanceType: 'Standard_F2s_v2' });
    const created = await azure.create(request);
    expect(await azure.findByClientToken(request.clientToken)).toEqual(created);
    expect(await azure.findByClientToken('never-used')).toBeNull();
    expect(await driver('aws').findByClientToken(request.clientToken)).toBeNull();
  });

  it('scopes client tokens to one provider', async () => {
    const request = instanceRequest({ region: 'us-east1', instanceType: 'e2-standard-4' });
    const onGcp = await driver('gcp').create(request);
    const onAws = await driver('aws').create({ ...request, region: 'us-east-1', instanceType: 't3.micro' });
    expect(onAws.providerId).not.toBe(onGcp.providerId);
    expect(await rowsWithToken(request.clientToken)).toBe(2);
  });
});

describe('capacity per region', () => {
  it('admits exactly capacityPerRegion of many concurrent creates and refuses the rest permanently', async () => {
    const aws = driver('aws', 3);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => aws.create(instanceRequest({ region: 'ap-south-1' }))));
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason as unknown);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const reason of refused) expect(reason).toMatchObject({ name: 'ProviderError', providerCode: 'InsufficientInstanceCapacity', transient: false });
    expect(await aws.list({ region: 'ap-south-1' })).toHaveLength(3);
  });

  it('still returns the existing instance for a repeated token when the region is full', async () => {
    const aws = driver('aws', 1);
    const request = instanceRequest({ region: 'eu-south-1' });
    const created = await aws.create(request);
    await expect(aws.create(instanceRequest({ region: 'eu-south-1' }))).rejects.toMatchObject({ providerCode: 'InsufficientInstanceCapacity' });
    expect(await aws.create(request)).toMatchObject({ providerId: created.providerId });
  });

  it('frees a slot when an instance is deleted', async () => {
    const aws = driver('aws', 1);
    const first = await aws.create(instanceRequest({ region: 'me-south-1' }));
    await expect(aws.create(instanceRequest({ region: 'me-south-1' }))).rejects.toMatchObject({ providerCode: 'InsufficientInstanceCapacity' });
    await aws.delete(first.providerId);
    expect(await aws.create(instanceRequest({ region: 'me-south-1' }))).toMatchObject({ state: 'RUNNING' });
  });

  it('counts a stopped instance against capacity', async () => {
    const aws = driver('aws', 1);
    const first = await aws.create(instanceRequest({ region: 'af-south-1' }));
    await aws.stop(first.providerId);
    await expect(aws.create(instanceRequest({ region: 'af-south-1' }))).rejects.toMatchObject({ providerCode: 'InsufficientInstanceCapacity' });
  });

  it('counts capacity per provider and region separately', async () => {
    await driver('aws', 1).create(instanceRequest({ region: 'eu-west-1' }));
    expect(await driver('aws', 1).create(instanceRequest({ region: 'eu-west-2' }))).toMatchObject({ state: 'RUNNING' });
    expect(await driver('azure', 1).create(instanceRequest({ region: 'westus', instanceType: 'Standard_B2s' }))).toMatchObject({ state: 'RUNNING' });
  });
});

describe('unlocked creates far below capacity', () => {
  const roomy = 100_000;

  it('makes exactly one instance from 20 concurrent creates with one token', async () => {
    const aws = driver('aws', roomy, { min: 20, max: 40 });
    const request = instanceRequest({ region: 'ca-central-1' });
    const results = await Promise.all(Array.from({ length: 20 }, () => aws.create(request)));
    expect(new Set(results.map((instance) => instance.providerId)).size).toBe(1);
    expect(await rowsWithToken(request.clientToken)).toBe(1);
  });

  it('makes one instance when one token races in through two regions', async () => {
    const gcp = driver('gcp', roomy);
    const request = instanceRequest({ instanceType: 'e2-standard-2' });
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => gcp.create({ ...request, region: index % 2 === 0 ? 'us-central1' : 'europe-west1' })));
    expect(new Set(results.map((instance) => instance.providerId)).size).toBe(1);
    expect(await rowsWithToken(request.clientToken)).toBe(1);
  });

  it('takes the call\'s fault in the create\'s own statement: a transient one replaces the create, a lost response creates', async () => {
    const aws = driver('aws', roomy);
    const request = instanceRequest({ region: 'ap-southeast-2', labels: { team: 'tests' }, vmId: 'vm-1', tenantId: 'tenant-1' });
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 1, region: 'ap-southeast-2' });
    await expect(aws.create(request)).rejects.toMatchObject({ providerCode: 'RequestLimitExceeded', transient: true });
    expect(await rowsWithToken(request.clientToken)).toBe(0);
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'lost_response', count: 1 });
    await expect(aws.create(request)).rejects.toMatchObject({ providerCode: 'RequestTimeout', transient: true });
    expect(await rowsWithToken(request.clientToken)).toBe(1);
    const made = await aws.findByClientToken(request.clientToken);
    expect(made).toMatchObject({ state: 'RUNNING', tags: { team: 'tests', 'managed-by': 'novacron', 'novacron:vm-id': 'vm-1' } });
    const [{ kind } = { kind: '' }] = await cloud.db.sql<{ kind: string }[]>`select jsonb_typeof(labels) as kind from simcloud.instances where client_token = ${request.clientToken}`;
    expect(kind).toBe('object');
    expect(await aws.create(request)).toEqual(made);
  });

  it('creates every one of many concurrent creates in one region', async () => {
    const aws = driver('aws', roomy);
    const results = await Promise.all(Array.from({ length: 30 }, () => aws.create(instanceRequest({ region: 'ap-northeast-3' }))));
    expect(new Set(results.map((instance) => instance.providerId)).size).toBe(30);
    expect(await aws.list({ region: 'ap-northeast-3' })).toHaveLength(30);
  });
});
