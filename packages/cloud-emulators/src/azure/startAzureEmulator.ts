/**
 * A loopback Azure endpoint over TLS: a Microsoft Entra ID (AAD) token endpoint for the
 * client-credentials flow and Azure Resource Manager JSON for virtual machines, network interfaces
 * and public IP addresses, with long-running operations reported through `Azure-AsyncOperation`
 * and `Location`, `If-None-Match: *` on PUT, ARM error JSON, bearer tokens it issued itself, a VM
 * state machine (provisioning and power states, deallocation), capacity and injectable faults.
 * Azure Monitor's metrics list answers with deterministic synthetic series for the VMs it holds.
 * TLS because Azure's HTTP pipeline refuses to send a bearer token over plain http; the
 * certificate is generated at start and trusted by the client, never by weakening it.
 * One file: the routes share the resource and operation model.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLoopbackCertificate } from '../shared/createLoopbackCertificate.ts';
import { FaultPlan } from '../shared/FaultPlan.ts';
import { listenLoopback, loseResponse } from '../shared/listenLoopback.ts';

/** An emulated ARM resource (VM, NIC or public IP). */
export interface AzureResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
  /** VMs only: `ProvisioningState/<x>` and `PowerState/<x>` codes (without prefixes). */
  provisioning: string;
  power: string;
  /** A transition that completes with its operation. */
  pending: { at: number; provisioning: string; power: string; remove?: boolean; vmSize?: string } | null;
}

interface AsyncOperation {
  id: string;
  /** The method that started it: a finished DELETE's Location answers 204, others 200. */
  method: string;
  doneAt: number;
  error: { code: string; message: string } | null;
}

/** Options for {@link startAzureEmulator}. */
export interface AzureEmulatorOptions {
  /** Service principals the token endpoint accepts: client id → { tenantId, secret }. */
  servicePrincipals: Record<string, { tenantId: string; secret: string }>;
  /** How long operations and transitions take; 0 completes at once. */
  latencyMs?: number;
  /** The most VMs per location. */
  capacityPerLocation?: number;
  /** VM sizes accepted; any `Standard_*` when omitted. */
  vmSizes?: string[];
}

/** A running Azure emulator. */
export interface AzureEmulator {
  /** `https://127.0.0.1:<port>`: both the ARM endpoint and the authority host. */
  url: string;
  /** The PEM certificate to trust (agent `ca`, or NODE_EXTRA_CA_CERTS). */
  certificate: string;
  faults: FaultPlan;
  /** Resources by type (`Microsoft.Compute/virtualMachines`, …), settled. */
  resources(type?: string): AzureResource[];
  /** Changes a VM behind NovaCron's back (drift tests); `vanish` removes it. */
  alter(name: string, change: { power?: string; vmSize?: string; tags?: Record<string, string>; vanish?: boolean }): void;
  requestCounts(): Record<string, number>;
  /** Client ids whose tokens were accepted by ARM. */
  callers(): string[];
  close(): Promise<void>;
}

/** Marketplace images the emulator knows, as publisher:offer:sku. */
export const emulatedAzureImages: readonly string[] = Object.freeze([
  'Canonical:ubuntu-24_04-lts:server',
  'Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2',
  'Debian:debian-12:12-gen2',
  'resf:rockylinux-x86_64:9-base',
  'MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition',
]);

class ArmFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, extras: { target?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = extras.target;
    this.headers = extras.headers ?? {};
  }
}

const vmType = 'Microsoft.Compute/virtualMachines';
const capitalized: Record<string, string> = { creating: 'Creating', updating: 'Updating', deleting: 'Deleting', succeeded: 'Succeeded', failed: 'Failed' };

/** Starts the emulator on a free loopback port with a fresh certificate. */
export async function startAzureEmulator(options: AzureEmulatorOptions): Promise<AzureEmulator> {
  const latencyMs = options.latencyMs ?? 0;
  const capacity = options.capacityPerLocation ?? 1_000;
  const knownSizes = options.vmSizes ? new Set(options.vmSizes) : null;
  const certificate = await createLoopbackCertificate();
  const faults = new FaultPlan();
  const resources = new Map<string, AzureResource>();
  const operations = new Map<string, AsyncOperation>();
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const counts: Record<string, number> = {};
  const callers = new Set<string>();
  let base = '';

  const settle = (resource: AzureResource) => {
    const pending = resource.pending;
    if (!pending || pending.at > Date.now()) return;
    resource.pending = null;
    if (pending.remove) return void resources.delete(resource.id.toLowerCase());
    resource.provisioning = pending.provisioning;
    resource.power = pending.power;
    if (pending.vmSize) (resource.properties.hardwareProfile as { vmSize: string }).vmSize = pending.vmSize;
  };
  const live = (id: string) => {
    const resource = resources.get(id.toLowerCase());
    if (resource) settle(resource);
    return resources.get(id.toLowerCase());
  };
  let currentMethod = 'GET';
  const startOperation = (location: string, error: AsyncOperation['error'] = null) => {
    const operation: AsyncOperation = { id: randomUUID(), method: currentMethod, doneAt: Date.now() + latencyMs, error };
    operations.set(operation.id, operation);
    return { operation, headers: operationHeaders(location, operation.id) };
  };
  const operationHeaders = (location: string, id: string) => ({
    'azure-asyncoperation': `${base}/subscriptions/emulated/providers/Microsoft.Compute/locations/${location}/operations/${id}?api-version=2024-07-01`,
    location: `${base}/subscriptions/emulated/providers/Microsoft.Compute/locations/${location}/operationResults/${id}?api-version=2024-07-01`,
  });
  /** Starts a VM transition finishing with an operation. */
  const transition = (vm: AzureResource, during: { provisioning?: string; power?: string }, after: { provisioning?: string; power?: string; remove?: boolean; vmSize?: string }, error: AsyncOperation['error'] = null) => {
    const { operation, headers } = startOperation(vm.location, error);
    vm.provisioning = during.provisioning ?? vm.provisioning;
    vm.power = during.power ?? vm.power;
    vm.pending = { at: operation.doneAt, provisioning: after.provisioning ?? 'succeeded', power: after.power ?? vm.power, remove: after.remove, vmSize: after.vmSize };
    settle(vm);
    return headers;
  };

  function vmJson(vm: AzureResource, withInstanceView: boolean) {
    settle(vm);
    return {
      id: vm.id,
      name: vm.name,
      type: vm.type,
      location: vm.location,
      tags: vm.tags,
      properties: {
        ...vm.properties,
        provisioningState: capitalized[vm.provisioning] ?? vm.provisioning,
        ...(withInstanceView ? { instanceView: instanceView(vm) } : {}),
      },
    };
  }
  const instanceView = (vm: AzureResource) => ({
    statuses: [
      { code: `ProvisioningState/${vm.provisioning}`, level: vm.provisioning === 'failed' ? 'Error' : 'Info', displayStatus: `Provisioning ${vm.provisioning}` },
      ...(vm.power ? [{ code: `PowerState/${vm.power}`, level: 'Info', displayStatus: `VM ${vm.power}` }] : []),
    ],
  });
  const resourceJson = (resource: AzureResource) =>
    resource.type === vmType ? vmJson(resource, false) : { id: resource.id, name: resource.name, type: resource.type, location: resource.location, tags: resource.tags, properties: { ...resource.properties, provisioningState: 'Succeeded' } };

  function checkSize(size: unknown): string {
    const value = String(size ?? '');
    if (knownSizes ? !knownSizes.has(value) : !/^Standard_[A-Za-z0-9_]+$/.test(value)) {
      throw new ArmFailure(400, 'InvalidParameter', `The value ${value} provided for the VM size is not valid. The valid sizes in the current region are listed by the List Available Sizes API.`, { target: 'vmSize' });
    }
    return value;
  }

  function putVm(id: string, name: string, body: Record<string, unknown>, request: IncomingMessage): { status: number; body: unknown; headers: Record<string, string> } {
    const existing = live(id);
    if (existing && request.headers['if-none-match'] === '*') {
      throw new ArmFailure(412, 'PreconditionFailed', `The resource '${name}' already exists and If-None-Match: * was given.`);
    }
    if (existing) throw new ArmFailure(409, 'OperationNotAllowed', 'The emulator does not support replacing a VM; use PATCH.');
    const properties = (body.properties ?? {}) as {
      hardwareProfile?: { vmSize?: string };
      storageProfile?: { imageReference?: { publisher?: string; offer?: string; sku?: string; version?: string } };
      networkProfile?: { networkInterfaces?: { id: string }[] };
      osProfile?: Record<string, unknown>;
    };
    const location = String(body.location ?? '');
    const vmSize = checkSize(properties.hardwareProfile?.vmSize);
    const image = properties.storageProfile?.imageReference ?? {};
    if (!emulatedAzureImages.includes(`${image.publisher}:${image.offer}:${image.sku}`)) {
      throw new ArmFailure(404, 'PlatformImageNotFound', `The platform image '${image.publisher}:${image.offer}:${image.sku}:${image.version}' is not available. Verify that all fields in the storage profile are correct.`);
    }
    for (const nic of properties.networkProfile?.networkInterfaces ?? []) {
      if (!live(nic.id)) throw new ArmFailure(400, 'InvalidResourceReference', `Resource ${nic.id} referenced by resource ${id} was not found.`, { target: 'networkInterfaces' });
    }
    for (const resource of [...resources.values()]) settle(resource);
    const full = [...resources.values()].filter((resource) => resource.type === vmType && resource.location === location).length >= capacity;
    const { adminPassword: _secret, ...osProfile } = properties.osProfile ?? {};
    const vm: AzureResource = {
      id,
      name,
      type: vmType,
      location,
      tags: { ...((body.tags as Record<string, string>) ?? {}) },
      properties: { ...properties, osProfile, vmId: randomUUID(), hardwareProfile: { vmSize }, createdAt: Date.now() },
      provisioning: 'creating',
      power: 'starting',
      pending: null,
    };
    resources.set(id.toLowerCase(), vm);
    const headers = full
      ? transition(vm, {}, { provisioning: 'failed', power: 'deallocated' }, { code: 'AllocationFailed', message: `Allocation failed. We do not have sufficient capacity for the requested VM size in this region.` })
      : transition(vm, {}, { provisioning: 'succeeded', power: 'running' });
    return { status: 201, body: vmJson(vm, false), headers: { 'azure-asyncoperation': headers['azure-asyncoperation'] } };
  }

  function vmAction(vm: AzureResource, action: string) {
    const stopped = vm.power === 'stopped' || vm.power === 'deallocated';
    switch (action) {
      case 'start':
        return stopped ? transition(vm, { provisioning: 'updating', power: 'starting' }, { power: 'running' }) : transition(vm, {}, {});
      case 'powerOff':
        return transition(vm, { provisioning: 'updating', power: 'stopping' }, { power: 'stopped' });
      case 'deallocate':
        return transition(vm, { provisioning: 'updating', power: 'deallocating' }, { power: 'deallocated' });
      case 'restart':
        if (vm.power !== 'running') throw new ArmFailure(409, 'OperationNotAllowed', `Operation 'restart' is not allowed on VM '${vm.name}' since the VM is ${vm.power}.`);
        return transition(vm, { provisioning: 'updating' }, { power: 'running' });
      default:
        throw new ArmFailure(404, 'InvalidResourceType', `No action ${action}`);
    }
  }

  const faultFailure = (kind: string, retryAfterSeconds: number): ArmFailure => {
    switch (kind) {
      case 'throttle':
        return new ArmFailure(429, 'TooManyRequests', 'The request is being throttled as the limit has been reached for operation type.', { headers: { 'retry-after': String(retryAfterSeconds) } });
      case 'capacity':
        return new ArmFailure(409, 'SkuNotAvailable', "The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions' is currently not available in location.");
      case 'quota':
        return new ArmFailure(409, 'QuotaExceeded', 'Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota.');
      case 'forbidden':
        return new ArmFailure(403, 'AuthorizationFailed', "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/write'.");
      default:
        return new ArmFailure(500, 'InternalServerError', 'An unexpected error occurred while processing the request.');
    }
  };

  function token(tenant: string, body: Buffer) {
    const form = new URLSearchParams(body.toString('utf8'));
    const clientId = form.get('client_id') ?? '';
    const principal = options.servicePrincipals[clientId];
    if (form.get('grant_type') !== 'client_credentials' || !principal || principal.tenantId !== tenant || principal.secret !== form.get('client_secret')) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() } };
    }
    const accessToken = randomBytes(32).toString('base64url');
    tokens.set(accessToken, { clientId, expiresAt: Date.now() + 3600_000 });
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
  }

  function authenticate(request: IncomingMessage) {
    const header = request.headers.authorization ?? '';
    const issued = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
    if (!header) throw new ArmFailure(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    if (!issued || issued.expiresAt < Date.now()) throw new ArmFailure(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    callers.add(issued.clientId);
  }

  /** Azure Monitor metrics list: a series per requested metric, a point per interval while the VM existed. */
  function metricsOf(vmId: string, url: URL) {
    const vm = live(vmId);
    if (!vm) throw new ArmFailure(404, 'ResourceNotFound', `The Resource '${vmId}' was not found.`);
    const [from = '', to = ''] = (url.searchParams.get('timespan') ?? '').split('/');
    const intervalMinutes = Number(/^PT(\d+)M$/.exec(url.searchParams.get('interval') ?? 'PT1M')?.[1] ?? 1);
    const stepMs = intervalMinutes * 60_000;
    const start = Math.max(Date.parse(from), (vm.properties.createdAt as number | undefined) ?? 0);
    const end = Math.min(Date.parse(to), Date.now());
    const names = (url.searchParams.get('metricnames') ?? '').split(',').filter(Boolean);
    return {
      timespan: url.searchParams.get('timespan') ?? '',
      interval: `PT${intervalMinutes}M`,
      namespace: 'Microsoft.Compute/virtualMachines',
      resourceregion: vm.location,
      value: names.map((name) => {
        const data = [];
        for (let t = Math.floor(start / stepMs) * stepMs; t <= end; t += stepMs) {
          const unit = createHash('sha256').update(`${vm.id}/${name}/${t}`).digest().readUInt32BE(0) / 0xffffffff;
          data.push(name === 'Percentage CPU' ? { timeStamp: new Date(t).toISOString(), average: Math.round(unit * 10_000) / 100 } : { timeStamp: new Date(t).toISOString(), total: Math.round(unit * 50_000_000) });
        }
        return { id: `${vm.id}/providers/Microsoft.Insights/metrics/${name}`, type: 'Microsoft.Insights/metrics', name: { value: name, localizedValue: name }, unit: name === 'Percentage CPU' ? 'Percent' : 'Bytes', timeseries: [{ metadatavalues: [], data }] };
      }),
    };
  }

  type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

  function route(request: IncomingMessage, url: URL, body: Buffer): { action: string; run: () => Reply } {
    const path = url.pathname;
    const method = request.method ?? 'GET';
    let match = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (match && method === 'GET') {
      const tenant = match[1]!;
      return {
        action: 'openid-configuration',
        run: () => ({
          status: 200,
          body: {
            token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
            jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
            issuer: `${base}/${tenant}/v2.0`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          },
        }),
      };
    }
    match = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (match && method === 'POST') return { action: 'token', run: () => token(match![1]!, body) };
    match = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/.exec(path);
    if (match && method === 'GET') {
      const [, kind, id] = match;
      return {
        action: 'operations.get',
        run: () => {
          const operation = operations.get(id!);
          if (!operation) throw new ArmFailure(404, 'NotFound', `Operation ${id} was not found.`);
          const done = operation.doneAt <= Date.now();
          if (kind === 'operationResults') return !done ? { status: 202, headers: {} } : operation.method === 'DELETE' ? { status: 204 } : { status: 200 };
          return {
            status: 200,
            body: { name: operation.id, status: !done ? 'InProgress' : operation.error ? 'Failed' : 'Succeeded', startTime: new Date(operation.doneAt - latencyMs).toISOString(), ...(done && operation.error ? { error: operation.error } : {}) },
          };
        },
      };
    }
    match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+)\/providers\/Microsoft\.Insights\/metrics$/i.exec(path);
    if (match && method === 'GET') {
      const vmId = match[1]!;
      return { action: 'metrics.list', run: () => ({ status: 200, body: metricsOf(vmId, url) }) };
    }
    match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.(?:Compute|Network))\/(virtualMachines|networkInterfaces|publicIPAddresses))(?:\/([^/]+)(?:\/([^/]+))?)?$/i.exec(path);
    if (!match) return { action: 'unknown', run: () => { throw new ArmFailure(404, 'InvalidResourceType', `No route for ${method} ${path}`); } };
    const [, collection, namespace, kind, name, action] = match;
    const type = `${namespace}/${kind}`;
    const id = `${collection}/${name}`;
    const parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    const mustGet = () => {
      const resource = live(id);
      if (!resource) throw new ArmFailure(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group was not found.`);
      return resource;
    };
    if (!name) {
      return {
        action: `${kind}.list`,
        run: () => {
          const all = [...resources.values()].filter((resource) => resource.type.toLowerCase() === type.toLowerCase() && resource.id.toLowerCase().startsWith(`${collection!.toLowerCase()}/`));
          all.forEach(settle);
          const remaining = all.filter((resource) => resources.has(resource.id.toLowerCase()));
          const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
          const page = remaining.slice(skip, skip + 2);
          const next = skip + 2 < remaining.length ? `${base}${collection}?api-version=${url.searchParams.get('api-version')}&$skiptoken=${skip + 2}` : undefined;
          return { status: 200, body: { value: page.map(resourceJson), ...(next ? { nextLink: next } : {}) } };
        },
      };
    }
    if (action) {
      if (method === 'GET' && action === 'instanceView') return { action: `${kind}.instanceView`, run: () => ({ status: 200, body: instanceView(mustGet()) }) };
      return { action: `${kind}.${action}`, run: () => ({ status: 202, headers: vmAction(mustGet(), action) }) };
    }
    switch (method) {
      case 'GET':
        return { action: `${kind}.get`, run: () => ({ status: 200, body: type === vmType ? vmJson(mustGet(), url.searchParams.get('$expand') === 'instanceView') : resourceJson(mustGet()) }) };
      case 'DELETE':
        return {
          action: `${kind}.delete`,
          run: () => {
            const resource = live(id);
            if (!resource) return { status: 204 };
            if (resource.type !== vmType) {
              resources.delete(id.toLowerCase());
              return { status: 202, headers: startOperation(resource.location).headers };
            }
            return { status: 202, headers: transition(resource, { provisioning: 'deleting' }, { remove: true }) };
          },
        };
      case 'PATCH':
        return {
          action: `${kind}.update`,
          run: () => {
            const vm = mustGet();
            const size = (parsed.properties as { hardwareProfile?: { vmSize?: string } } | undefined)?.hardwareProfile?.vmSize;
            const tags = parsed.tags as Record<string, string> | undefined;
            if (tags) vm.tags = { ...tags };
            if (!size) return { status: 200, body: vmJson(vm, false) };
            const vmSize = checkSize(size);
            const headers = transition(vm, { provisioning: 'updating' }, { vmSize });
            // PUT and PATCH answer with Azure-AsyncOperation only: the final state is read from the resource itself.
            return { status: 200, body: vmJson(vm, false), headers: { 'azure-asyncoperation': headers['azure-asyncoperation'] } };
          },
        };
      case 'PUT':
        return {
          action: `${kind}.createOrUpdate`,
          run: () => {
            if (type === vmType) return putVm(id, name, parsed, request);
            const existing = live(id);
            const properties = { ...((parsed.properties as Record<string, unknown>) ?? {}) };
            if (kind === 'publicIPAddresses') properties.ipAddress = existing?.properties.ipAddress ?? `20.${randomInt(1, 255)}.${randomInt(0, 255)}.${randomInt(1, 255)}`;
            if (kind === 'networkInterfaces') {
              const configurations = (properties.ipConfigurations as { name: string; properties: Record<string, unknown> }[] | undefined) ?? [];
              properties.ipConfigurations = configurations.map((configuration) => ({ ...configuration, properties: { ...configuration.properties, privateIPAddress: `10.0.0.${randomInt(4, 255)}` } }));
            }
            const resource: AzureResource = { id, name, type, location: String(parsed.location ?? ''), tags: { ...((parsed.tags as Record<string, string>) ?? {}) }, properties, provisioning: 'succeeded', power: '', pending: null };
            resources.set(id.toLowerCase(), resource);
            return { status: existing ? 200 : 201, body: resourceJson(resource), headers: { 'azure-asyncoperation': startOperation(resource.location).headers['azure-asyncoperation'] } };
          },
        };
      default:
        return { action: 'unknown', run: () => { throw new ArmFailure(405, 'MethodNotAllowed', `${method} is not allowed`); } };
    }
  }

  async function handle(request: IncomingMessage, body: Buffer, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'https://emulator');
    const { action, run } = route(request, url, body);
    currentMethod = request.method ?? 'GET';
    counts[action] = (counts[action] ?? 0) + 1;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('x-ms-request-id', randomUUID());
    try {
      if (action !== 'token' && action !== 'openid-configuration') authenticate(request);
      const fault = faults.take(action);
      if (fault && fault.kind !== 'lost_response') throw faultFailure(fault.kind, fault.retryAfterSeconds);
      const reply = run();
      if (fault?.kind === 'lost_response') return loseResponse(response);
      response.statusCode = reply.status;
      for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
      response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    } catch (error) {
      if (!(error instanceof ArmFailure)) throw error;
      response.statusCode = error.status;
      for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      response.setHeader('x-ms-error-code', error.code);
      response.end(JSON.stringify({ error: { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) } }));
    }
  }

  const server = await listenLoopback(handle, certificate);
  base = server.url;
  return {
    url: server.url,
    certificate: certificate.cert,
    faults,
    resources: (type) => {
      for (const resource of [...resources.values()]) settle(resource);
      return [...resources.values()].filter((resource) => !type || resource.type === type).map((resource) => ({ ...resource, tags: { ...resource.tags } }));
    },
    alter: (name, change) => {
      const vm = [...resources.values()].find((resource) => resource.type === vmType && resource.name === name);
      if (!vm) throw new Error(`no VM named ${name}`);
      if (change.vanish) return void resources.delete(vm.id.toLowerCase());
      vm.pending = null;
      if (change.power) vm.power = change.power;
      if (change.vmSize) (vm.properties.hardwareProfile as { vmSize: string }).vmSize = change.vmSize;
      if (change.tags) vm.tags = { ...change.tags };
    },
    requestCounts: () => ({ ...counts }),
    callers: () => [...callers],
    close: () => server.close(),
  };
}
