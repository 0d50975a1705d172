import { beforeEach, describe, expect, it } from 'vitest';
import { clearFaults, createSimulatedDriver, injectFault, isTransientProviderError, type ProviderDriver } from '../src/index.ts';
import { instanceRequest } from './support/instanceRequest.ts';
import { useSimulatedCloud } from './support/useSimulatedCloud.ts';

const cloud = useSimulatedCloud();

function driver(provider: 'aws' | 'azure' | 'gcp' = 'aws'): ProviderDriver {
  return createSimulatedDriver({ provider, sql: cloud.db.sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1000 });
}

async function instancesWithToken(clientToken: string): Promise<number> {
  const rows = await cloud.db.sql`select 1 from simcloud.instances where client_token = ${clientToken}`;
  return rows.length;
}

beforeEach(async () => {
  await clearFaults(cloud.db.sql);
});

describe('fault injection', () => {
  it('fails the next calls with a transient error before doing anything, then recovers', async () => {
    const aws = driver();
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 2 });
    const request = instanceRequest();
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(aws.create(request)).rejects.toMatchObject({ name: 'ProviderError', providerCode: 'RequestLimitExceeded', transient: true });
      expect(await instancesWithToken(request.clientToken)).toBe(0);
    }
    expect(await aws.create(request)).toMatchObject({ state: 'RUNNING' });
  });

  it('uses the code and message a fault was given', async () => {
    const aws = driver();
    const instance = await aws.create(instanceRequest());
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'reboot', kind: 'transient', count: 1, code: 'ServiceUnavailable', message: 'EC2 is having a day' });
    await expect(aws.reboot(instance.providerId)).rejects.toMatchObject({ providerCode: 'ServiceUnavailable', message: 'EC2 is having a day', transient: true });
  });

  it('fails with a permanent error carrying the fault message and creates nothing', async () => {
    const aws = driver();
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, message: 'We currently do not have sufficient t3.micro capacity' });
    const request = instanceRequest();
    const failure = await aws.create(request).catch((error: unknown) => error);
    expect(failure).toMatchObject({ providerCode: 'InsufficientInstanceCapacity', message: 'We currently do not have sufficient t3.micro capacity', transient: false });
    expect(isTransientProviderError(failure)).toBe(false);
    expect(await instancesWithToken(request.clientToken)).toBe(0);
  });

  it('performs a create whose response is lost, leaving exactly one instance that findByClientToken finds', async () => {
    const aws = driver();
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'lost_response', count: 1 });
    const request = instanceRequest();
    const failure = await aws.create(request).catch((error: unknown) => error);
    expect(failure).toMatchObject({ providerCode: 'RequestTimeout', transient: true });
    expect(isTransientProviderError(failure)).toBe(true);
    const adopted = await aws.findByClientToken(request.clientToken);
    expect(adopted).toMatchObject({ clientToken: request.clientToken, state: 'RUNNING' });
    expect(await aws.create(request)).toMatchObject({ providerId: adopted?.providerId });
    expect(await instancesWithToken(request.clientToken)).toBe(1);
  });

  it('performs a stop whose response is lost', async () => {
    const gcp = driver('gcp');
    const instance = await gcp.create(instanceRequest({ region: 'us-west1', instanceType: 'e2-standard-2' }));
    await injectFault(cloud.db.sql, { provider: 'gcp', action: 'stop', kind: 'lost_response', count: 1 });
    await expect(gcp.stop(instance.providerId)).rejects.toMatchObject({ providerCode: 'RequestTimeout', transient: true });
    expect(await gcp.get(instance.providerId)).toMatchObject({ state: 'STOPPED' });
  });

  it('hits every kind of call with a wildcard fault, reads included', async () => {
    const aws = driver();
    const instance = await aws.create(instanceRequest());
    await injectFault(cloud.db.sql, { provider: 'aws', action: '*', kind: 'transient', count: 3 });
    await expect(aws.get(instance.providerId)).rejects.toMatchObject({ transient: true });
    await expect(aws.list()).rejects.toMatchObject({ transient: true });
    await expect(aws.stop(instance.providerId)).rejects.toMatchObject({ transient: true });
    expect(await aws.get(instance.providerId)).toMatchObject({ state: 'RUNNING' });
  });

  it('only hits calls for its own provider and action', async () => {
    await injectFault(cloud.db.sql, { provider: 'azure', action: 'create', kind: 'permanent', count: 1 });
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'delete', kind: 'permanent', count: 1 });
    expect(await driver('aws').create(instanceRequest())).toMatchObject({ state: 'RUNNING' });
  });

  it('only hits calls in its region when it names one, including calls by instance id', async () => {
    const aws = driver();
    const elsewhere = await aws.create(instanceRequest({ region: 'us-east-2' }));
    const inRegion = await aws.create(instanceRequest({ region: 'us-west-1' }));
    await injectFault(cloud.db.sql, { provider: 'aws', action: '*', kind: 'transient', count: 5, region: 'us-west-1' });
    expect(await aws.stop(elsewhere.providerId)).toMatchObject({ state: 'STOPPED' });
    expect(await aws.create(instanceRequest({ region: 'us-east-2' }))).toMatchObject({ state: 'RUNNING' });
    await expect(aws.stop(inRegion.providerId)).rejects.toMatchObject({ transient: true });
    await expect(aws.create(instanceRequest({ region: 'us-west-1' }))).rejects.toMatchObject({ transient: true });
    await expect(aws.findByClientToken(inRegion.clientToken!)).rejects.toMatchObject({ transient: true });
  });

  it('fails a get or loses its response without changing the instance, which then reads as settled', async () => {
    const aws = createSimulatedDriver({ provider: 'aws', sql: cloud.db.sql, latencyMs: { min: 30, max: 30 }, capacityPerRegion: 1000 });
    const instance = await aws.create(instanceRequest({ region: 'eu-west-3' }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    const stateInTable = async () => (await cloud.db.sql<{ state: string }[]>`select state from simcloud.instances where provider_id = ${instance.providerId}`)[0]?.state;
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'get', kind: 'transient', count: 1 });
    await expect(aws.get(instance.providerId)).rejects.toMatchObject({ providerCode: 'RequestLimitExceeded', transient: true });
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'get', kind: 'lost_response', count: 1 });
    await expect(aws.findByClientToken(instance.clientToken!)).rejects.toMatchObject({ providerCode: 'RequestTimeout', transient: true });
    // Reads write nothing: the due transition stays in the table until an action or a list settles it.
    expect(await stateInTable()).toBe('PENDING');
    expect(await aws.get(instance.providerId)).toMatchObject({ state: 'RUNNING', providerId: instance.providerId, settlesAt: null });
    expect(await aws.get('i-0000000000000000')).toBeNull();
    // The fault was used up: the next read answers.
    expect(await aws.findByClientToken(instance.clientToken!)).toMatchObject({ state: 'RUNNING' });
  });

  it('hits exactly count calls when many arrive at once', async () => {
    const aws = driver();
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 3 });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => aws.create(instanceRequest({ region: 'ap-northeast-1' }))));
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(3);
    expect(await aws.list({ region: 'ap-northeast-1' })).toHaveLength(7);
  });

  it('stops misbehaving once its faults are cleared', async () => {
    await injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 10 });
    await injectFault(cloud.db.sql, { provider: 'gcp', action: 'create', kind: 'transient', count: 10 });
    expect(await clearFaults(cloud.db.sql, 'aws')).toBe(1);
    expect(await driver('aws').create(instanceRequest())).toMatchObject({ state: 'RUNNING' });
    await expect(driver('gcp').create(instanceRequest({ region: 'us-central1', instanceType: 'e2-standard-2' }))).rejects.toMatchObject({ transient: true });
  });

  it('rejects a fault without a positive count', async () => {
    await expect(injectFault(cloud.db.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 0 })).rejects.toThrow(RangeError);
  });
});
