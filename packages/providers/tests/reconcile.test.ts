import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { generateKeyPairSync } from 'node:crypto';
import { startAzureEmulator, startEc2Emulator, startGceEmulator, type AzureEmulator, type Ec2Emulator, type GceEmulator } from '@novacron/cloud-emulators';
import { createAzureDriver } from '../src/azure/createAzureDriver.ts';
import { createGcpDriver } from '../src/gcp/createGcpDriver.ts';
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

/** Drift, vanish and orphan on one driver whose emulator can change instances behind its back. */
async function driftVanishOrphan(driver: ProviderDriver, region: string, instanceType: string, alter: (created: ProviderInstance, change: 'stop' | 'resize' | 'vanish') => void, resizedTo: string) {
  const make = (token: string) => driver.create({ clientToken: `${driver.name}-${token}`, name: token, region, instanceType, image: 'debian-12', labels: {}, vmId: `vm-${token}`, tenantId: 'acme' });
  const stopped = await make('stopped');
  const resized = await make('resized');
  const gone = await make('gone');
  const stray = await make('stray');
  alter(stopped, 'stop');
  alter(resized, 'resize');
  alter(gone, 'vanish');
  const vms = [stopped, resized, gone].map((created) => vm({ id: `vm-${created.name}`, provider: driver.name, region, instanceType, providerId: created.providerId }));
  const report = await reconcileProvider({ driver, tenantId: 'acme', vms });
  const summary = report.findings.map((finding) =>
    finding.kind === 'DRIFTED' ? `${finding.kind} ${finding.vmId} ${finding.after.status} ${finding.after.instanceType}` : finding.kind === 'VANISHED' ? `${finding.kind} ${finding.vmId}` : `${finding.kind} ${finding.vmId}`,
  );
  expect(summary.sort()).toEqual([`DRIFTED vm-resized RUNNING ${resizedTo}`, `DRIFTED vm-stopped STOPPED ${instanceType}`, 'ORPHAN vm-stray', 'VANISHED vm-gone'].sort());
  expect(report.findings.find((finding) => finding.kind === 'ORPHAN')).toMatchObject({ providerId: stray.providerId });
}

describe('reconcileProvider against the Compute Engine and ARM emulators', () => {
  const catalog = loadCatalog();
  let gce: GceEmulator;
  let azure: AzureEmulator;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccount = { client_email: 'reconcile@p.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  beforeAll(async () => {
    [gce, azure] = await Promise.all([
      startGceEmulator({ serviceAccounts: { [serviceAccount.client_email]: publicKey.export({ type: 'spki', format: 'pem' }).toString() } }),
      startAzureEmulator({ servicePrincipals: { app: { tenantId: 'tenant', secret: 's' } } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gce?.close(), azure?.close()]);
  });

  it('finds drift, a vanished instance and an orphan on GCP', async () => {
    const driver = createGcpDriver({ credentials: { project: 'p', serviceAccount }, endpoint: { host: '127.0.0.1', port: gce.port, protocol: 'http' }, retry: { initialDelayMs: 10 }, catalog });
    const nameOf = (created: ProviderInstance) => created.providerId.split('/').pop()!;
    await driftVanishOrphan(driver, 'us-central1', 'e2-standard-2', (created, change) =>
      gce.alter(nameOf(created), change === 'stop' ? { status: 'TERMINATED' } : change === 'resize' ? { machineType: 'e2-standard-8' } : { vanish: true }),
      'e2-standard-8',
    );
  });

  it('finds drift, a vanished VM and an orphan on Azure', async () => {
    const driver = createAzureDriver({
      credentials: { tenantId: 'tenant', clientId: 'app', clientSecret: 's', subscriptionId: 'sub', resourceGroup: 'rg', subnetId: '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' },
      endpoint: azure.url,
      authorityHost: azure.url,
      ca: azure.certificate,
      pollIntervalMs: 5,
      catalog,
    });
    const nameOf = (created: ProviderInstance) => created.providerId.split('/').pop()!;
    await driftVanishOrphan(driver, 'eastus', 'Standard_B2s', (created, change) =>
      azure.alter(nameOf(created), change === 'stop' ? { power: 'deallocated' } : change === 'resize' ? { vmSize: 'Standard_D4s_v5' } : { vanish: true }),
      'Standard_D4s_v5',
    );
  });
});
