import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { startEc2Emulator, type Ec2Emulator } from '@novacron/cloud-emulators';
import { createAwsDriver } from '../src/aws/createAwsDriver.ts';
import type { ProviderDriver, ProviderInstance } from '../src/ProviderDriver.ts';
import { classifyDrift, type ManagedVm } from '../src/reconcile/classifyDrift.ts';
import { reconcileProvider } from '../src/reconcile/reconcileProvider.ts';

const instance = (overrides: Partial<ProviderInstance>): ProviderInstance => ({
  providerId: 'p-1',
  name: 'web',
  region: 'us-east-1',
  instanceType: 't3.micro',
  image: 'debian-12',
  state: 'RUNNING',
  privateIp: '10.0.0.1',
  publicIp: null,
  clientToken: null,
  settlesAt: null,
  tags: { 'managed-by': 'novacron', 'novacron:tenant': 'acme' },
  ...overrides,
});
const vm = (overrides: Partial<ManagedVm>): ManagedVm => ({
  id: 'vm-1',
  tenantId: 'acme',
  provider: 'aws',
  region: 'us-east-1',
  status: 'RUNNING',
  instanceType: 't3.micro',
  providerId: 'p-1',
  busy: false,
  ...overrides,
});

describe('classifyDrift', () => {
  it('finds nothing when reality matches', () => {
    expect(classifyDrift('acme', [vm({})], [instance({})])).toEqual([]);
  });

  it('reports a VM stopped or resized outside NovaCron as DRIFTED with before and after', () => {
    expect(classifyDrift('acme', [vm({})], [instance({ state: 'STOPPED', instanceType: 't3.large', privateIp: '10.0.0.9' })])).toEqual([
      { kind: 'DRIFTED', vmId: 'vm-1', providerId: 'p-1', before: { status: 'RUNNING', instanceType: 't3.micro' }, after: { status: 'STOPPED', instanceType: 't3.large', privateIp: '10.0.0.9', publicIp: null } },
    ]);
  });

  it('leaves busy VMs and instances mid-transition alone', () => {
    expect(classifyDrift('acme', [vm({ busy: true })], [instance({ state: 'STOPPED' })])).toEqual([]);
    expect(classifyDrift('acme', [vm({})], [instance({ state: 'STOPPING' })])).toEqual([]);
    expect(classifyDrift('acme', [vm({ busy: true })], [])).toEqual([]);
  });

  it('reports a VM whose instance is gone as VANISHED, unless it is being deleted or already in ERROR', () => {
    expect(classifyDrift('acme', [vm({})], [])).toEqual([{ kind: 'VANISHED', vmId: 'vm-1', providerId: 'p-1', reason: 'the aws instance p-1 no longer exists' }]);
    expect(classifyDrift('acme', [vm({ status: 'DELETING' }), vm({ id: 'vm-2', providerId: 'p-2', status: 'ERROR' })], [])).toEqual([]);
  });

  it('reports managed instances no live VM owns as orphans, but not another tenant’s, an in-flight create’s or an untagged one', () => {
    const findings = classifyDrift(
      'acme',
      [vm({ id: 'vm-deleted', providerId: 'p-9', status: 'DELETED' }), vm({ id: 'vm-creating', providerId: null, status: 'PROVISIONING', busy: true })],
      [
        instance({ providerId: 'p-9', tags: { 'managed-by': 'novacron', 'novacron:vm-id': 'vm-deleted' } }),
        instance({ providerId: 'p-other', tags: { 'managed-by': 'novacron', 'novacron:tenant': 'globex' } }),
        instance({ providerId: 'p-creating', tags: { 'managed-by': 'novacron', 'novacron-vm-id': 'vm-creating' } }),
        instance({ providerId: 'p-unmanaged', tags: { team: 'ops' } }),
        instance({ providerId: 'p-simulated', tags: undefined }),
      ],
    );
    expect(findings).toEqual([{ kind: 'ORPHAN', providerId: 'p-9', region: 'us-east-1', instanceType: 't3.micro', state: 'RUNNING', vmId: 'vm-deleted' }]);
  });
});

describe('reconcileProvider against the EC2 emulator', () => {
  const catalog = loadCatalog();
  let emulator: Ec2Emulator;
  let driver: ProviderDriver;
  beforeAll(async () => {
    emulator = await startEc2Emulator({ credentials: { AKIARECONCILE: 'secret' } });
    driver = createAwsDriver({ credentials: { accessKeyId: 'AKIARECONCILE', secretAccessKey: 'secret' }, endpoint: emulator.url, regions: ['us-east-1', 'eu-west-1'], catalog });
  });
  afterAll(() => emulator?.close());

  it('turns outside stops, resizes, terminations and stray instances into findings, and deletes orphans past their grace period', async () => {
    const make = (token: string, region = 'us-east-1') => driver.create({ clientToken: token, name: token, region, instanceType: 't3.micro', image: 'debian-12', labels: {}, vmId: `vm-${token}`, tenantId: 'acme' });
    const [stopped, resized, gone, steady, stray] = await Promise.all([make('stopped'), make('resized'), make('gone'), make('steady'), make('stray', 'eu-west-1')]);
    const idOf = (created: ProviderInstance) => created.providerId.split('/')[1]!;
    emulator.alter(idOf(stopped!), { state: 'stopped' });
    emulator.alter(idOf(resized!), { instanceType: 't3.large' });
    emulator.alter(idOf(gone!), { state: 'terminated' });
    const vms = [stopped!, resized!, gone!, steady!].map((created) => vm({ id: `vm-${created.name}`, providerId: created.providerId }));

    const report = await reconcileProvider({ driver, tenantId: 'acme', vms, deleteOrphans: { firstSeen: new Map([[stray!.providerId, new Date(0)]]), graceMs: 60_000 } });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'DRIFTED', vmId: 'vm-stopped', after: expect.objectContaining({ status: 'STOPPED' }) }),
        expect.objectContaining({ kind: 'DRIFTED', vmId: 'vm-resized', before: { status: 'RUNNING', instanceType: 't3.micro' }, after: expect.objectContaining({ instanceType: 't3.large' }) }),
        expect.objectContaining({ kind: 'VANISHED', vmId: 'vm-gone' }),
        expect.objectContaining({ kind: 'ORPHAN', providerId: stray!.providerId, vmId: 'vm-stray' }),
      ]),
    );
    expect(report.findings).toHaveLength(4);
    expect(report.deletedOrphans).toEqual([stray!.providerId]);
    expect((await driver.get(stray!.providerId))?.state).toBe('DELETED');
  });
});
