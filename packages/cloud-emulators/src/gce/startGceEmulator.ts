/**
 * A loopback Compute Engine endpoint speaking the Compute REST v1 JSON wire format for the calls
 * NovaCron's GCP driver makes: instances (insert with requestId dedupe, get, list, aggregatedList
 * with pagination, start, stop, reset, setMachineType, delete) and zone operations (get, wait),
 * with Google's error JSON, bearer-token checks (self-signed service-account JWTs, verified
 * against the account's public key), a state machine, capacity and injectable faults. The same
 * port answers Cloud Monitoring's timeSeries.list with deterministic synthetic series for the
 * instances it holds. One file: the routes share the instance and operation model.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { importSPKI, jwtVerify } from 'jose';
import { FaultPlan } from '../shared/FaultPlan.ts';
import { listenLoopback, loseResponse } from '../shared/listenLoopback.ts';
import { settle, transition, type Settling } from '../shared/settle.ts';

/** Compute Engine's instance statuses. */
export type GceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED' | 'SUSPENDED' | 'REPAIRING';

/** One emulated instance. */
export interface GceInstance extends Settling<GceStatus> {
  id: string;
  name: string;
  project: string;
  zone: string;
  machineType: string;
  sourceImage: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  networkIP: string;
  natIP: string | null;
  creationTimestamp: string;
}

interface GceOperation {
  id: string;
  name: string;
  project: string;
  zone: string;
  operationType: string;
  targetLink: string;
  targetId: string;
  requestId: string | null;
  doneAt: number;
  error: { code: string; message: string } | null;
  insertTime: string;
}

/** Options for {@link startGceEmulator}. */
export interface GceEmulatorOptions {
  /** Service accounts the emulator accepts, by client email: the PEM public key their JWTs are checked with. */
  serviceAccounts: Record<string, string>;
  /** How long transitions and their operations take; 0 finishes at once. */
  latencyMs?: number;
  /** The most instances per zone. */
  capacityPerZone?: number;
  /** Machine types accepted; any `family-kind-N` when omitted. */
  machineTypes?: string[];
}

/** A running Compute Engine emulator. */
export interface GceEmulator {
  /** `http://127.0.0.1:<port>`; give the client `apiEndpoint: '127.0.0.1'`, `port`, `protocol: 'http'`. */
  url: string;
  port: number;
  faults: FaultPlan;
  instances(): GceInstance[];
  /** Changes an instance behind NovaCron's back (drift tests); `vanish` removes it. */
  alter(name: string, change: { status?: GceStatus; machineType?: string; vanish?: boolean }): void;
  requestCounts(): Record<string, number>;
  /** Client emails whose tokens were accepted. */
  callers(): string[];
  close(): Promise<void>;
}

/** Images the emulator knows (family or image paths). */
export const emulatedGceImages: readonly string[] = Object.freeze([
  'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts',
  'projects/debian-cloud/global/images/family/debian-12',
  'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
  'projects/windows-cloud/global/images/family/windows-2022',
]);

class GceFailure extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

const statusNames: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

/** Starts the emulator on a free loopback port. */
export async function startGceEmulator(options: GceEmulatorOptions): Promise<GceEmulator> {
  const latencyMs = options.latencyMs ?? 0;
  const capacity = options.capacityPerZone ?? 1_000;
  const knownTypes = options.machineTypes ? new Set(options.machineTypes) : null;
  const faults = new FaultPlan();
  const instances = new Map<string, GceInstance>();
  const operations = new Map<string, GceOperation>();
  const byRequestId = new Map<string, GceOperation>();
  const counts: Record<string, number> = {};
  const callers = new Set<string>();
  const keys = new Map<string, CryptoKey>();
  for (const [email, pem] of Object.entries(options.serviceAccounts)) keys.set(email, await importSPKI(pem, 'RS256'));
  let base = '';

  const key = (project: string, zone: string, name: string) => `${project}/${zone}/${name}`;
  const link = (project: string, zone: string, path: string) => `${base}/compute/v1/projects/${project}/zones/${zone}/${path}`;
  const find = (project: string, zone: string, name: string) => {
    const instance = instances.get(key(project, zone, name));
    if (!instance) throw new GceFailure(404, 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
    settle(instance);
    return instance;
  };

  function startOperation(instance: Pick<GceInstance, 'project' | 'zone' | 'name' | 'id'>, operationType: string, requestId: string | null, error: GceOperation['error'] = null): GceOperation {
    const operation: GceOperation = {
      id: String(randomInt(1, 2 ** 47)),
      name: `operation-${Date.now()}-${randomUUID().slice(0, 13)}`,
      project: instance.project,
      zone: instance.zone,
      operationType,
      targetLink: link(instance.project, instance.zone, `instances/${instance.name}`),
      targetId: instance.id,
      requestId,
      doneAt: Date.now() + latencyMs,
      error,
      insertTime: new Date().toISOString(),
    };
    operations.set(`${operation.project}/${operation.zone}/${operation.name}`, operation);
    if (requestId) byRequestId.set(`${instance.project}/${requestId}`, operation);
    return operation;
  }

  function operationJson(operation: GceOperation) {
    const done = operation.doneAt <= Date.now();
    return {
      kind: 'compute#operation',
      id: operation.id,
      name: operation.name,
      zone: `${base}/compute/v1/projects/${operation.project}/zones/${operation.zone}`,
      operationType: operation.operationType,
      targetLink: operation.targetLink,
      targetId: operation.targetId,
      status: done ? 'DONE' : 'RUNNING',
      progress: done ? 100 : 0,
      insertTime: operation.insertTime,
      selfLink: link(operation.project, operation.zone, `operations/${operation.name}`),
      ...(done && operation.error ? { error: { errors: [operation.error] }, httpErrorStatusCode: 503, httpErrorMessage: 'SERVICE UNAVAILABLE' } : {}),
    };
  }

  function instanceJson(instance: GceInstance) {
    settle(instance);
    const running = instance.state === 'RUNNING';
    if (running && !instance.natIP) instance.natIP = `203.0.113.${randomInt(1, 255)}`;
    if (!running) instance.natIP = null;
    return {
      kind: 'compute#instance',
      id: instance.id,
      name: instance.name,
      zone: `${base}/compute/v1/projects/${instance.project}/zones/${instance.zone}`,
      machineType: link(instance.project, instance.zone, `machineTypes/${instance.machineType}`),
      status: instance.state,
      labels: instance.labels,
      metadata: { items: Object.entries(instance.metadata).map(([k, value]) => ({ key: k, value })) },
      creationTimestamp: instance.creationTimestamp,
      networkInterfaces: [{ networkIP: instance.networkIP, accessConfigs: running ? [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: instance.natIP }] : [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] }],
      disks: [{ boot: true, source: link(instance.project, instance.zone, `disks/${instance.name}`) }],
      selfLink: link(instance.project, instance.zone, `instances/${instance.name}`),
    };
  }

  const machineTypeName = (value: unknown) => String(value ?? '').split('/').pop() ?? '';
  const checkMachineType = (zone: string, value: unknown) => {
    const name = machineTypeName(value);
    if (knownTypes ? !knownTypes.has(name) : !/^[a-z0-9]+-[a-z0-9]+-\d+$/.test(name)) {
      throw new GceFailure(400, 'invalid', `Invalid value for field 'resource.machineType': '${String(value)}'. Machine type with name '${name}' does not exist in zone '${zone}'.`);
    }
    return name;
  };

  function insert(project: string, zone: string, body: Record<string, unknown>, requestId: string | null) {
    if (requestId) {
      const earlier = byRequestId.get(`${project}/${requestId}`);
      if (earlier) return operationJson(earlier);
    }
    const name = String(body.name ?? '');
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new GceFailure(400, 'invalid', `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    if (instances.has(key(project, zone, name))) throw new GceFailure(409, 'alreadyExists', `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`);
    const machineType = checkMachineType(zone, body.machineType);
    const disks = (body.disks as { initializeParams?: { sourceImage?: string } }[] | undefined) ?? [];
    const sourceImage = disks[0]?.initializeParams?.sourceImage ?? '';
    if (!emulatedGceImages.includes(sourceImage)) throw new GceFailure(404, 'notFound', `The resource '${sourceImage}' was not found`);
    const id = String(randomInt(1, 2 ** 47));
    const live = [...instances.values()].filter((instance) => instance.project === project && instance.zone === zone).length;
    if (live >= capacity || exhausted) {
      return operationJson(startOperation({ project, zone, name, id }, 'insert', requestId, { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request. Try a different zone, or try again later.` }));
    }
    const metadataItems = ((body.metadata as { items?: { key: string; value: string }[] } | undefined)?.items ?? []);
    const instance: GceInstance = {
      id,
      name,
      project,
      zone,
      machineType,
      sourceImage,
      labels: { ...((body.labels as Record<string, string> | undefined) ?? {}) },
      metadata: Object.fromEntries(metadataItems.map((item) => [item.key, item.value])),
      networkIP: `10.128.0.${randomInt(2, 255)}`,
      natIP: null,
      creationTimestamp: new Date().toISOString(),
      state: 'PROVISIONING',
      target: null,
    };
    transition(instance, 'PROVISIONING', 'RUNNING', latencyMs);
    instances.set(key(project, zone, name), instance);
    return operationJson(startOperation(instance, 'insert', requestId));
  }

  function act(project: string, zone: string, name: string, verb: string, body: Record<string, unknown>, requestId: string | null) {
    if (requestId) {
      const earlier = byRequestId.get(`${project}/${requestId}`);
      if (earlier) return operationJson(earlier);
    }
    const instance = find(project, zone, name);
    const state = instance.state;
    switch (verb) {
      case 'start':
        if (state === 'TERMINATED' || state === 'SUSPENDED') transition(instance, 'STAGING', 'RUNNING', latencyMs);
        break;
      case 'stop':
        if (state === 'RUNNING' || state === 'PROVISIONING' || state === 'STAGING') transition(instance, 'STOPPING', 'TERMINATED', latencyMs);
        break;
      case 'reset':
        if (state !== 'RUNNING') throw new GceFailure(400, 'resourceNotReady', `The resource 'projects/${project}/zones/${zone}/instances/${name}' is not ready`);
        break;
      case 'setMachineType':
        if (state !== 'TERMINATED') throw new GceFailure(400, 'resourceNotReady', `Instance '${name}' must be stopped before its machine type can be changed.`);
        instance.machineType = checkMachineType(zone, body.machineType);
        break;
      case 'delete':
        instances.delete(key(project, zone, name));
        break;
    }
    return operationJson(startOperation(instance, verb, requestId));
  }

  function list(project: string, zones: string[] | null, url: URL) {
    const filter = url.searchParams.get('filter') ?? '';
    const labelFilters = [...filter.matchAll(/labels\.([a-z0-9_-]+)\s*=\s*"?([a-z0-9_-]*)"?/g)].map((match) => [match[1]!, match[2]!] as const);
    const matched = [...instances.values()]
      .filter((instance) => instance.project === project && (zones === null || zones.includes(instance.zone)))
      .filter((instance) => labelFilters.every(([label, value]) => instance.labels[label] === value))
      .sort((a, b) => a.creationTimestamp.localeCompare(b.creationTimestamp) || a.name.localeCompare(b.name));
    const maxResults = Number(url.searchParams.get('maxResults') ?? 500);
    const start = Number(url.searchParams.get('pageToken') ?? 0);
    const page = matched.slice(start, start + maxResults);
    return { page, nextPageToken: start + maxResults < matched.length ? String(start + maxResults) : undefined };
  }

  async function authenticate(request: IncomingMessage): Promise<void> {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token) throw new GceFailure(401, 'required', 'Request is missing required authentication credential.');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { iss?: string };
    const publicKey = keys.get(claims.iss ?? '');
    if (!publicKey) throw new GceFailure(401, 'authError', 'Invalid Credentials');
    try {
      const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'], issuer: claims.iss, subject: claims.iss });
      const scopes = String(payload.scope ?? '').split(' ');
      if (!scopes.some((scope) => ['https://www.googleapis.com/auth/compute', 'https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/monitoring.read'].includes(scope))) {
        throw new GceFailure(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
      }
    } catch (error) {
      if (error instanceof GceFailure) throw error;
      throw new GceFailure(401, 'authError', 'Invalid Credentials');
    }
    callers.add(claims.iss!);
  }

  /** Set while an insert runs under an injected capacity fault. */
  let exhausted = false;
  const faultFailure = (kind: string): GceFailure => {
    switch (kind) {
      case 'throttle':
        return new GceFailure(429, 'rateLimitExceeded', "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com'.");
      case 'quota':
        return new GceFailure(403, 'quotaExceeded', "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1.");
      case 'forbidden':
        return new GceFailure(403, 'forbidden', "Required 'compute.instances.create' permission for 'projects/p/zones/z/instances/x'");
      default:
        return new GceFailure(503, 'backendError', 'Internal error. Please try again or contact Google Support.');
    }
  };

  const routes: { method: string; pattern: RegExp; action: string; run: (match: string[], url: URL, body: Record<string, unknown>) => Promise<unknown> | unknown }[] = [
    { method: 'GET', pattern: /^\/v3\/projects\/([^/]+)\/timeSeries$/, action: 'timeSeries.list', run: ([p], url) => listTimeSeries(p!, url) },
    { method: 'POST', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances$/, action: 'instances.insert', run: ([p, z], url, body) => insert(p!, z!, body, url.searchParams.get('requestId')) },
    {
      method: 'GET', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances$/, action: 'instances.list',
      run: ([p, z], url) => {
        const { page, nextPageToken } = list(p!, [z!], url);
        return { kind: 'compute#instanceList', items: page.map(instanceJson), ...(nextPageToken ? { nextPageToken } : {}) };
      },
    },
    {
      method: 'GET', pattern: /^\/compute\/v1\/projects\/([^/]+)\/aggregated\/instances$/, action: 'instances.aggregatedList',
      run: ([p], url) => {
        const { page, nextPageToken } = list(p!, null, url);
        const items: Record<string, { instances: unknown[] }> = {};
        for (const instance of page) (items[`zones/${instance.zone}`] ??= { instances: [] }).instances.push(instanceJson(instance));
        return { kind: 'compute#instanceAggregatedList', items, ...(nextPageToken ? { nextPageToken } : {}) };
      },
    },
    { method: 'GET', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/, action: 'instances.get', run: ([p, z, n]) => instanceJson(find(p!, z!, n!)) },
    { method: 'DELETE', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/, action: 'instances.delete', run: ([p, z, n], url) => act(p!, z!, n!, 'delete', {}, url.searchParams.get('requestId')) },
    {
      method: 'POST', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)\/(start|stop|reset|setMachineType)$/, action: 'instances.act',
      run: ([p, z, n, verb], url, body) => act(p!, z!, n!, verb!, body, url.searchParams.get('requestId')),
    },
    {
      method: 'GET', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/operations\/([^/]+)$/, action: 'zoneOperations.get',
      run: ([p, z, o]) => operationJson(findOperation(p!, z!, o!)),
    },
    {
      method: 'POST', pattern: /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/operations\/([^/]+)\/wait$/, action: 'zoneOperations.wait',
      run: async ([p, z, o]) => {
        const operation = findOperation(p!, z!, o!);
        // Like GCE, wait returns when the operation is done or after a while (here at most 2 s), whichever is first.
        const waitMs = Math.min(2_000, operation.doneAt - Date.now());
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        return operationJson(operation);
      },
    },
  ];

  /** Cloud Monitoring timeSeries.list: one series per matching instance, a point per alignment period while it existed. */
  function listTimeSeries(project: string, url: URL) {
    const filter = url.searchParams.get('filter') ?? '';
    const type = /metric\.type\s*=\s*"([^"]+)"/.exec(filter)?.[1] ?? '';
    const names = [...(/instance_name\s*=\s*one_of\(([^)]*)\)/.exec(filter)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
    const time = (name: string) => {
      const value = url.searchParams.get(`interval.${name}`) ?? url.searchParams.get(`interval.${name}.seconds`) ?? '';
      return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    };
    const start = time('startTime');
    const end = Math.min(time('endTime'), Date.now());
    const periodMs = Number.parseInt(url.searchParams.get('aggregation.alignmentPeriod') ?? '60', 10) * 1000;
    const utilization = type.endsWith('/utilization');
    const timeSeries = [...instances.values()]
      .filter((instance) => instance.project === project && (names.length === 0 || names.includes(instance.name)))
      .map((instance) => {
        const points = [];
        for (let t = Math.ceil(Math.max(start, Date.parse(instance.creationTimestamp) - periodMs) / periodMs) * periodMs; t <= end; t += periodMs) {
          const unit = createHash('sha256').update(`${instance.id}/${type}/${t}`).digest().readUInt32BE(0) / 0xffffffff;
          const iso = new Date(t).toISOString();
          points.unshift({ interval: { startTime: new Date(t - periodMs).toISOString(), endTime: iso }, value: utilization ? { doubleValue: unit } : { int64Value: String(Math.round(unit * 50_000_000)) } });
        }
        return {
          metric: { type, labels: { instance_name: instance.name } },
          resource: { type: 'gce_instance', labels: { project_id: project, instance_id: instance.id, zone: instance.zone } },
          metricKind: 'GAUGE',
          valueType: utilization ? 'DOUBLE' : 'INT64',
          points,
        };
      });
    return { timeSeries, unit: utilization ? '10^2.%' : 'By' };
  }

  function findOperation(project: string, zone: string, name: string): GceOperation {
    const operation = operations.get(`${project}/${zone}/${name}`);
    if (!operation) throw new GceFailure(404, 'notFound', `The resource 'projects/${project}/zones/${zone}/operations/${name}' was not found`);
    return operation;
  }

  async function handle(request: IncomingMessage, body: Buffer, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://emulator');
    const route = routes.map((candidate) => ({ candidate, match: candidate.method === request.method ? candidate.pattern.exec(url.pathname) : null })).find(({ match }) => match);
    const action = route ? (route.candidate.action === 'instances.act' ? `instances.${route.match![4]}` : route.candidate.action) : 'unknown';
    counts[action] = (counts[action] ?? 0) + 1;
    response.setHeader('content-type', 'application/json; charset=UTF-8');
    try {
      await authenticate(request);
      if (!route) throw new GceFailure(404, 'notFound', `No route for ${request.method} ${url.pathname}`);
      const fault = faults.take(action);
      // Compute Engine reports no capacity in the insert's zone operation, not as an HTTP error.
      exhausted = fault?.kind === 'capacity' && action === 'instances.insert';
      if (fault && fault.kind !== 'lost_response' && !exhausted) throw faultFailure(fault.kind);
      const parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const result = await route.candidate.run(route.match!.slice(1), url, parsed);
      if (fault?.kind === 'lost_response') return loseResponse(response);
      response.statusCode = 200;
      response.end(JSON.stringify(result));
    } catch (error) {
      if (!(error instanceof GceFailure)) throw error;
      response.statusCode = error.status;
      response.end(
        JSON.stringify({
          error: {
            code: error.status,
            message: error.message,
            errors: [{ message: error.message, domain: error.reason === 'rateLimitExceeded' || error.reason === 'quotaExceeded' ? 'usageLimits' : 'global', reason: error.reason }],
            status: statusNames[error.status] ?? 'UNKNOWN',
            details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.reason, domain: 'compute.googleapis.com', metadata: {} }],
          },
        }),
      );
    }
  }

  const server = await listenLoopback(handle);
  base = server.url;
  return {
    url: server.url,
    port: server.port,
    faults,
    instances: () => [...instances.values()].map((instance) => (settle(instance), { ...instance, labels: { ...instance.labels } })),
    alter: (name, change) => {
      const entry = [...instances.entries()].find(([, instance]) => instance.name === name);
      if (!entry) throw new Error(`no instance named ${name}`);
      const [id, instance] = entry;
      if (change.vanish) return void instances.delete(id);
      instance.target = null;
      if (change.status) instance.state = change.status;
      if (change.machineType) instance.machineType = change.machineType;
    },
    requestCounts: () => ({ ...counts }),
    callers: () => [...callers],
    close: () => server.close(),
  };
}
