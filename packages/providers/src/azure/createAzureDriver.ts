import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { ComputeManagementClient, VirtualMachine } from '@azure/arm-compute';
import type { MonitorClient } from '@azure/arm-monitor';
import type { NetworkManagementClient, NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import type { RestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { Catalog } from '@novacron/catalog';
import { loadCatalog } from '@novacron/catalog';
import type { CreateInstanceRequest, ProviderCapabilities, ProviderDescription, ProviderDriver, ProviderInstance } from '../ProviderDriver.ts';
import { ProviderError } from '../ProviderError.ts';
import { cloudError, fieldFromMessage, isNetworkError, parseRetryAfter } from '../cloud/cloudError.ts';
import { createCatalogView } from '../cloud/createCatalogView.ts';
import { managedTags } from '../cloud/managedTags.ts';
import { onFirstUse } from '../cloud/onFirstUse.ts';
import type { MetricSample, MetricsRequest, MetricsSource } from '../cloud/metrics.ts';
import { armErrorFields, armErrors, azureImages, azureMetrics, azureVmState } from './azureMappings.ts';

/** Azure credentials and where NovaCron puts VMs; without a client secret the SDK's default chain is used. */
export interface AzureCredentials {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  subscriptionId: string;
  resourceGroup: string;
  /** The subnet NICs are attached to (an ARM id). */
  subnetId: string;
}

/** Options for {@link createAzureDriver}. */
export interface AzureDriverOptions {
  credentials: AzureCredentials;
  /** ARM endpoint override (the Azure emulator). */
  endpoint?: string;
  /** Microsoft Entra authority host override (the emulator); instance discovery is then off. */
  authorityHost?: string;
  /** An extra CA certificate (PEM) to trust, given to the SDK's own `agent` option: how the emulator's generated certificate is trusted. */
  ca?: string;
  /** Long-running operation polling interval in ms (the SDK's default when absent). */
  pollIntervalMs?: number;
  /** SDK retries per request (throttling honours Retry-After); the SDK default (3) when absent. */
  maxRetries?: number;
  /** Linux admin user and SSH key; without a key the VM gets a random password nobody keeps. */
  adminUsername?: string;
  sshPublicKey?: string;
  /** Azure Monitor interval of metrics (ISO 8601 duration); PT1M by default. */
  metricsInterval?: string;
  catalog?: Catalog;
}

// The SDKs are imported on first use, like the GCP driver's: @azure/arm-compute, arm-network, arm-monitor
// and identity hold ≈ 18 MB of heap and ≈ 0.8 s of start-up in every process that imports
// @novacron/providers, most of which never call Azure.
const loadCompute = onFirstUse(() => import('@azure/arm-compute'));
const loadNetwork = onFirstUse(() => import('@azure/arm-network'));
const loadMonitor = onFirstUse(() => import('@azure/arm-monitor'));
const loadIdentity = onFirstUse(() => import('@azure/identity'));

/** @azure/identity's errors, known by name (the SDK need not be loaded to recognise them). */
const identityErrors = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError']);

/** A core-rest-pipeline RestError, by name as the SDK's own `isRestError` also accepts it. */
function isRestError(error: unknown): error is RestError {
  return error instanceof Error && error.name === 'RestError';
}

const vmIdPattern = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;
const lroFailure = /^The long-running operation has failed\. ([A-Za-z]+)\. (.*)$/s;
const targetFields: Record<string, string> = { vmSize: 'instanceType', 'hardwareProfile.vmSize': 'instanceType', imageReference: 'image', location: 'region', name: 'name' };

/** Translates whatever the SDK threw (RestError, a failed long-running operation, an identity error) with the ARM table. */
export function azureProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof Error && identityErrors.has(error.name)) {
    return cloudError('auth', error.name, `Azure: ${error.message.split('\n')[0]}`, { cause: error });
  }
  if (isRestError(error) && (error.code || error.statusCode)) {
    const code = error.code ?? `Http${error.statusCode}`;
    const status = error.statusCode ?? 0;
    let kind = armErrors[code] ?? (status === 429 ? 'throttled' : status >= 500 ? 'transient' : status === 401 || status === 403 ? 'auth' : 'permanent');
    if (code === 'OperationNotAllowed' && /quota/i.test(error.message)) kind = 'quota';
    const target = (error.details as { error?: { target?: string } } | undefined)?.error?.target;
    return cloudError(kind, code, `Azure: ${error.message}`, {
      cause: error,
      field: armErrorFields[code] ?? (target ? targetFields[target] : undefined) ?? fieldFromMessage(error.message),
      retryAfterMs: parseRetryAfter(error.response?.headers.get('retry-after')),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const failed = lroFailure.exec(message);
  if (failed) {
    const [, code, detail] = failed as unknown as [string, string, string];
    const kind = armErrors[code] ?? 'permanent';
    return cloudError(code === 'OperationNotAllowed' && /quota/i.test(detail) ? 'quota' : kind, code, `Azure: ${detail}`, { cause: error, field: armErrorFields[code] ?? fieldFromMessage(detail) });
  }
  if (isNetworkError(error)) return cloudError('transient', 'RequestTimeout', `Azure: the request failed in transit and may have been carried out (${message})`, { cause: error });
  return cloudError('permanent', 'Unknown', `Azure: ${message}`, { cause: error });
}

/** The VM name a client token maps to: deterministic, so a retried PUT finds its own VM. */
export function azureVmName(clientToken: string): string {
  return `nc-${createHash('sha256').update(clientToken).digest('hex').slice(0, 20)}`;
}

/**
 * A {@link ProviderDriver} for Azure VMs on `@azure/arm-compute`, `@azure/arm-network` and
 * `@azure/identity`. Provider ids are ARM resource ids. A create puts a public IP, a NIC and the VM
 * under names derived from the client token, each checked to be NovaCron's own (by its
 * client-token tag) before reuse, the VM with `If-None-Match: *` so a retried PUT never overwrites
 * a VM, foreign or not. Stop deallocates (a merely stopped Azure VM still bills compute). Every
 * verb waits for its long-running operation, polled by the SDK.
 */
export function createAzureDriver(options: AzureDriverOptions): ProviderDriver & MetricsSource {
  const catalog = options.catalog ?? loadCatalog();
  const view = createCatalogView('azure', catalog, Object.keys(azureImages));
  const { subscriptionId, resourceGroup, subnetId } = options.credentials;
  const agent = options.ca ? new Agent({ ca: [...rootCertificates, options.ca], keepAlive: true }) : undefined;
  const common = { ...(agent ? { agent } : {}), ...(options.maxRetries !== undefined ? { retryOptions: { maxRetries: options.maxRetries } } : {}) };
  const { tenantId, clientId, clientSecret } = options.credentials;
  const clientOptions = { ...common, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
  // The credential and the clients are built on first use (with their SDKs); a failed build is tried again.
  const credential = onFirstUse(async (): Promise<TokenCredential> => {
    const identity = await loadIdentity();
    return clientSecret && clientId && tenantId
      ? new identity.ClientSecretCredential(tenantId, clientId, clientSecret, {
          ...common,
          ...(options.authorityHost ? { authorityHost: options.authorityHost, disableInstanceDiscovery: true } : {}),
        })
      : new identity.DefaultAzureCredential();
  });
  const computeClient = onFirstUse(async (): Promise<ComputeManagementClient> => new (await loadCompute()).ComputeManagementClient(await credential(), subscriptionId, clientOptions));
  const networkClient = onFirstUse(async (): Promise<NetworkManagementClient> => new (await loadNetwork()).NetworkManagementClient(await credential(), subscriptionId, clientOptions));
  // Most drivers never read metrics.
  const monitorClient = onFirstUse(async (): Promise<MonitorClient> => new (await loadMonitor()).MonitorClient(await credential(), subscriptionId, clientOptions));
  const lro = options.pollIntervalMs !== undefined ? { updateIntervalInMs: options.pollIntervalMs } : {};

  const capabilities: ProviderCapabilities = Object.freeze({ resizeRequiresStop: false, idempotentCreate: true, canReboot: true, images: Object.keys(azureImages) });
  const description: ProviderDescription = Object.freeze({ name: 'azure', displayName: 'Microsoft Azure', simulated: false, regions: view.regions, capabilities });

  async function call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw azureProviderError(error);
    }
  }
  async function orNull<T>(action: () => Promise<T>): Promise<T | null> {
    try {
      return await call(action);
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  function parseId(providerId: string) {
    const match = vmIdPattern.exec(providerId);
    if (!match || match[1]!.toLowerCase() !== subscriptionId.toLowerCase()) throw cloudError('notFound', 'ResourceNotFound', `Azure: '${providerId}' is not a VM of subscription ${subscriptionId}`);
    return { group: match[2]!, name: match[3]! };
  }

  function toInstance(vm: VirtualMachine, statusCodes: string[], addresses: { privateIp: string | null; publicIp: string | null }): ProviderInstance {
    const tags = { ...(vm.tags ?? {}) };
    const state = azureVmState(statusCodes);
    return {
      providerId: vm.id ?? '',
      name: tags.Name ?? vm.name ?? '',
      region: vm.location ?? '',
      instanceType: vm.hardwareProfile?.vmSize ?? '',
      image: tags[managedTags.image] ?? '',
      state,
      privateIp: addresses.privateIp,
      publicIp: state === 'RUNNING' ? addresses.publicIp : null,
      clientToken: tags[managedTags.clientToken] ?? null,
      settlesAt: null,
      tags,
    };
  }

  async function addressesOf(vm: VirtualMachine) {
    const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id;
    const nicName = nicId?.split('/').pop();
    const nic = nicName ? await orNull(async () => (await networkClient()).networkInterfaces.get(resourceGroupOf(nicId!), nicName)) : null;
    const configuration = nic?.ipConfigurations?.[0];
    const ipId = configuration?.publicIPAddress?.id;
    const ip = ipId ? await orNull(async () => (await networkClient()).publicIPAddresses.get(resourceGroupOf(ipId), ipId.split('/').pop()!)) : null;
    return { privateIp: configuration?.privateIPAddress ?? null, publicIp: ip?.ipAddress ?? null };
  }

  async function get(providerId: string): Promise<ProviderInstance | null> {
    const { group, name } = parseId(providerId);
    const vm = await orNull(async () => (await computeClient()).virtualMachines.get(group, name, { expand: 'instanceView' }));
    if (!vm) return null;
    const codes = (vm.instanceView?.statuses ?? []).map((status) => status.code ?? '');
    return toInstance(vm, codes, await addressesOf(vm));
  }
  async function mustGet(providerId: string): Promise<ProviderInstance> {
    const instance = await get(providerId);
    if (!instance) throw cloudError('notFound', 'ResourceNotFound', `Azure: VM '${providerId}' does not exist`);
    return instance;
  }

  /** Creates a network resource under a deterministic name, or reuses it when it is ours; a foreign one is a conflict. */
  async function ensureOwned<T extends { id?: string; tags?: Record<string, string> }>(kind: string, name: string, clientToken: string, read: () => Promise<T>, put: () => Promise<T>): Promise<T> {
    const existing = await orNull(read);
    if (existing) {
      if (existing.tags?.[managedTags.clientToken] === clientToken) return existing;
      throw cloudError('conflict', 'Conflict', `Azure: a ${kind} named ${name} already exists in ${resourceGroup} and was not made for this request`);
    }
    return call(put);
  }

  async function create(request: CreateInstanceRequest): Promise<ProviderInstance> {
    if (request.clientToken === '') throw cloudError('badInput', 'InvalidParameter', 'Azure: clientToken must not be empty', { field: 'clientToken' });
    const imageReference = azureImages[request.image];
    if (!imageReference) throw cloudError('badInput', 'InvalidParameter', `Azure: no image "${request.image}"; choose one of ${Object.keys(azureImages).join(', ')}`, { field: 'image' });
    const name = azureVmName(request.clientToken);
    const providerId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const tags: Record<string, string> = {
      ...request.labels,
      Name: request.name,
      [managedTags.managedBy]: managedTags.managedByValue,
      [managedTags.clientToken]: request.clientToken,
      [managedTags.image]: request.image,
      ...(request.vmId ? { [managedTags.vmId]: request.vmId } : {}),
      ...(request.tenantId ? { [managedTags.tenant]: request.tenantId } : {}),
    };
    const adopted = await adopt(providerId, request.clientToken);
    if (adopted) return adopted;
    const ip = await ensureOwned<PublicIPAddress>('public IP address', `${name}-ip`, request.clientToken, async () => (await networkClient()).publicIPAddresses.get(resourceGroup, `${name}-ip`), async () =>
      (await networkClient()).publicIPAddresses.createOrUpdate(resourceGroup, `${name}-ip`, { location: request.region, tags, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, lro),
    );
    const nic = await ensureOwned<NetworkInterface>('network interface', `${name}-nic`, request.clientToken, async () => (await networkClient()).networkInterfaces.get(resourceGroup, `${name}-nic`), async () =>
      (await networkClient()).networkInterfaces.createOrUpdate(
        resourceGroup,
        `${name}-nic`,
        { location: request.region, tags, ipConfigurations: [{ name: 'primary', subnet: { id: subnetId }, publicIPAddress: { id: ip.id } }] },
        lro,
      ),
    );
    const adminUsername = options.adminUsername ?? 'novacron';
    const linux = !request.image.startsWith('windows');
    try {
      await call(async () =>
        (await computeClient()).virtualMachines.createOrUpdate(
          resourceGroup,
          name,
          {
            location: request.region,
            tags,
            hardwareProfile: { vmSize: request.instanceType },
            storageProfile: { imageReference, osDisk: { createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'StandardSSD_LRS' } } },
            osProfile: {
              computerName: name,
              adminUsername,
              ...(linux && options.sshPublicKey
                ? { linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: `/home/${adminUsername}/.ssh/authorized_keys`, keyData: options.sshPublicKey }] } } }
                : { adminPassword: `Nc1!${randomBytes(18).toString('base64url')}` }),
            },
            networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: 'Delete' }] },
          },
          { ...lro, ifNoneMatch: '*' },
        ),
      );
    } catch (error) {
      if (error instanceof ProviderError && error.providerCode === 'PreconditionFailed') {
        // A retried PUT (its first response lost) or a racing worker made it first: adopt it if it is ours.
        const raced = await adopt(providerId, request.clientToken);
        if (raced) return raced;
        throw cloudError('conflict', 'Conflict', `Azure: a VM named ${name} already exists in ${resourceGroup} and was not made for this request`);
      }
      if (error instanceof ProviderError && error.code === 'PROVIDER_CAPACITY') {
        // Azure keeps a VM whose allocation failed; remove it so a retry elsewhere starts clean.
        await orNull(async () => (await computeClient()).virtualMachines.delete(resourceGroup, name, lro));
      }
      throw error;
    }
    return mustGet(providerId);
  }

  /** The VM under a token's name when it was made for that token; a foreign VM under the name is a conflict. */
  async function adopt(providerId: string, clientToken: string): Promise<ProviderInstance | null> {
    const existing = await get(providerId);
    if (!existing) return null;
    if (existing.clientToken === clientToken) return existing;
    throw cloudError('conflict', 'Conflict', `Azure: VM ${providerId} exists and was not made for this request`);
  }

  async function act(providerId: string, send: (compute: ComputeManagementClient, group: string, name: string) => Promise<unknown>): Promise<ProviderInstance> {
    const { group, name } = parseId(providerId);
    await call(async () => send(await computeClient(), group, name));
    return mustGet(providerId);
  }

  async function list(filter: { region?: string; managedOnly?: boolean } = {}): Promise<ProviderInstance[]> {
    return call(async () => {
      const [compute, network] = await Promise.all([computeClient(), networkClient()]);
      const vms: VirtualMachine[] = [];
      for await (const vm of compute.virtualMachines.list(resourceGroup)) {
        if (filter.region && vm.location !== filter.region) continue;
        if (filter.managedOnly && vm.tags?.[managedTags.managedBy] !== managedTags.managedByValue) continue;
        vms.push(vm);
      }
      const privateIps = new Map<string, string | null>();
      const nicIps = new Map<string, string | undefined>();
      for await (const nic of network.networkInterfaces.list(resourceGroup)) {
        const configuration = nic.ipConfigurations?.[0];
        privateIps.set((nic.id ?? '').toLowerCase(), configuration?.privateIPAddress ?? null);
        nicIps.set((nic.id ?? '').toLowerCase(), configuration?.publicIPAddress?.id?.toLowerCase());
      }
      const publicIps = new Map<string, string | null>();
      for await (const ip of network.publicIPAddresses.list(resourceGroup)) publicIps.set((ip.id ?? '').toLowerCase(), ip.ipAddress ?? null);
      return Promise.all(
        vms.map(async (vm) => {
          const statuses = (await compute.virtualMachines.instanceView(resourceGroup, vm.name ?? '')).statuses ?? [];
          const nicId = (vm.networkProfile?.networkInterfaces?.[0]?.id ?? '').toLowerCase();
          const ipId = nicIps.get(nicId);
          return toInstance(vm, statuses.map((status) => status.code ?? ''), { privateIp: privateIps.get(nicId) ?? null, publicIp: ipId ? (publicIps.get(ipId) ?? null) : null });
        }),
      );
    });
  }

  /** Azure Monitor metrics of each VM (one call per VM for all five metrics). */
  async function metrics(request: MetricsRequest): Promise<MetricSample[]> {
    const client = await call(monitorClient);
    const byName = new Map(azureMetrics.map((metric) => [metric.name.toLowerCase(), metric]));
    const perVm = await Promise.all(
      request.instances.map(async (target) => {
        parseId(target.providerId);
        const response = await call(() =>
          client.metrics.list(target.providerId.replace(/^\//, ''), {
            timespan: `${request.from.toISOString()}/${request.to.toISOString()}`,
            interval: options.metricsInterval ?? 'PT1M',
            metricnames: azureMetrics.map((metric) => metric.name).join(','),
            aggregation: 'average,total',
          }),
        );
        const samples: MetricSample[] = [];
        for (const series of response.value) {
          const metric = byName.get((series.name.value ?? '').toLowerCase());
          if (!metric) continue;
          for (const point of series.timeseries.flatMap((element) => element.data ?? [])) {
            const value = metric.aggregation === 'average' ? point.average : point.total;
            if (value !== undefined) samples.push({ vmId: target.vmId, kind: metric.kind, t: new Date(point.timeStamp), value });
          }
        }
        return samples;
      }),
    );
    return perVm.flat();
  }

  return {
    name: 'azure',
    metrics,
    describe: () => description,
    capabilities: () => capabilities,
    validate: view.validate,
    create,
    start: (providerId) => act(providerId, (compute, group, name) => compute.virtualMachines.start(group, name, lro)),
    // Deallocate, not power off: a powered-off Azure VM keeps its hardware and keeps billing compute.
    stop: (providerId) => act(providerId, (compute, group, name) => compute.virtualMachines.deallocate(group, name, lro)),
    reboot: (providerId) => act(providerId, (compute, group, name) => compute.virtualMachines.restart(group, name, lro)),
    resize: (providerId, instanceType) => act(providerId, (compute, group, name) => compute.virtualMachines.update(group, name, { hardwareProfile: { vmSize: instanceType } }, lro)),
    delete: async (providerId) => {
      const before = await mustGet(providerId);
      const { group, name } = parseId(providerId);
      await call(async () => (await computeClient()).virtualMachines.delete(group, name, lro));
      // The NIC was created with the VM's deleteOption, but delete both explicitly: a NIC or IP left behind keeps billing.
      await orNull(async () => (await networkClient()).networkInterfaces.delete(group, `${name}-nic`, lro));
      await orNull(async () => (await networkClient()).publicIPAddresses.delete(group, `${name}-ip`, lro));
      return { ...before, state: 'DELETED', privateIp: null, publicIp: null, settlesAt: null };
    },
    get,
    findByClientToken: async (clientToken) => {
      const instance = await get(`/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${azureVmName(clientToken)}`);
      return instance && instance.clientToken === clientToken ? instance : null;
    },
    list,
  };
}

function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)\//i.exec(id)?.[1] ?? '';
}
