import { describe, expect, it } from 'vitest';
import { createSimulatedDriver, injectDrift, reconcileProvider, type ManagedVm } from '../src/index.ts';
import { instanceRequest } from './support/instanceRequest.ts';
import { useSimulatedCloud } from './support/useSimulatedCloud.ts';

const cloud = useSimulatedCloud();

describe('reconciling the simulated cloud', () => {
  it('sees injected drift and a vanished instance like on a real cloud', async () => {
    const driver = createSimulatedDriver({ provider: 'aws', sql: cloud.db.sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1000 });
    const [stopped, resized, gone] = await Promise.all([driver.create(instanceRequest()), driver.create(instanceRequest()), driver.create(instanceRequest())]);
    expect(await injectDrift(cloud.db.sql, { provider: 'aws', providerId: stopped!.providerId, state: 'STOPPED' })).toBe(true);
    await injectDrift(cloud.db.sql, { provider: 'aws', providerId: resized!.providerId, instanceType: 'm6i.xlarge' });
    await injectDrift(cloud.db.sql, { provider: 'aws', providerId: gone!.providerId, vanish: true });
    const vms: ManagedVm[] = [stopped!, resized!, gone!].map((instance, index) => ({
      id: `vm-${index}`,
      tenantId: 'acme',
      provider: 'aws',
      region: instance.region,
      status: 'RUNNING',
      instanceType: instance.instanceType,
      providerId: instance.providerId,
      busy: false,
    }));
    const report = await reconcileProvider({ driver, tenantId: 'acme', vms });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'DRIFTED', vmId: 'vm-0', after: expect.objectContaining({ status: 'STOPPED' }) }),
        expect.objectContaining({ kind: 'DRIFTED', vmId: 'vm-1', after: expect.objectContaining({ status: 'RUNNING', instanceType: 'm6i.xlarge' }) }),
        expect.objectContaining({ kind: 'VANISHED', vmId: 'vm-2' }),
      ]),
    );
    // Untagged simulated instances of other tests are never reported as this tenant's orphans.
    expect(report.findings.filter((finding) => finding.kind === 'ORPHAN')).toEqual([]);
    expect(report.findings).toHaveLength(3);
  });
});
