import { createHash, randomUUID } from 'node:crypto';
import type { InstancesClient, ZoneOperationsClient, protos } from '@google-cloud/compute';
import type { MetricServiceClient } from '@google-cloud/monitoring';
import type { Catalog } from '@novacron/catalog';
import { loadCatalog } from '@novacron/catalog';
import type { JWT } from 'google-auth-library';
import type { CallOptions, ClientOptions } from 'google-gax';
import type { CreateInstanceRequest, ProviderCapabilities, ProviderDescription, ProviderDriver, ProviderInstance } from '../ProviderDriver.ts';
import { ProviderError } from '../ProviderError.ts';
import { cloudError, fieldFromMessage, isNetworkError, type CloudErrorKind } from '../cloud/cloudError.ts';
import { createCatalogView } from '../cloud/createCatalogView.ts';
import { gcpManagedLabels } from '../cloud/managedTags.ts';
import { onFirstUse } from '../cloud/onFirstUse.ts';
import type { MetricSample, MetricsRequest, MetricsSource } from '../cloud/metrics.ts';
import { gceErrorReasons, gceImages, gceMetrics, gceOperationErrors, gceStatuses, grpcCodes } from './gcpMappings.ts';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

/** A service-account key as Google issues it (the JSON file's fields that matter). */
export interface GcpServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

/** GCP credentials: a service-account key and the project to manage; none → Application Default Credentials. */
export interface GcpCredentials {
  serviceAccount?: GcpServiceAccountKey;
  project: string;
}

/** Options for {@link createGcpDriver}. */
export interface GcpDriverOptions {
  credentials: GcpCredentials;
  /** An endpoint override (the Compute Engine emulator). */
  endpoint?: { host: string; port: number; protocol: 'http' | 'https' };
  /** The zone used for each region; `<region>-a` when absent. */
  zones?: Record<string, string>;
  /** SDK retries of throttling and unavailability per call (gax backoff), 4 by default; first delay in ms (500 by default). */
  retry?: { maxRetries?: number; initialDelayMs?: number };
  /** settlesAt hint for transitional states; 2 s by default. */
  pollHintMs?: number;
  /** Cloud Monitoring alignment period of metrics in seconds; 60 by default. */
  metricsPeriodSeconds?: number;
  catalog?: Catalog;
}

const scopes = ['https://www.googleapis.com/auth/compute', 'https://www.googleapis.com/auth/monitoring.read'];
const providerIdPattern = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/;

/** Classifies whatever the SDK threw (a GoogleError, a network failure) with the GCE tables. */
export function gcpProviderError(error: unknown, context: { creating?: boolean } = {}): ProviderError {
  if (error instanceof ProviderError) return error;
  const caught = error as { code?: unknown; reason?: unknown; message?: unknown };
  const message = typeof caught?.message === 'string' ? caught.message : String(error);
  const reason = typeof caught?.reason === 'string' ? caught.reason : undefined;
  const grpc = typeof caught?.code === 'number' ? caught.code : undefined;
  let kind: CloudErrorKind | undefined = (reason ? gceErrorReasons[reason] : undefined) ?? (grpc !== undefined ? grpcCodes[grpc] : undefined);
  if (kind === 'throttled' && /Quota '[A-Z_]+' exceeded/.test(message)) kind = 'quota';
  if (kind === undefined) {
    if (isNetworkError(error)) return cloudError('transient', 'RequestTimeout', `GCP: the request failed in transit and may have been carried out (${message})`, { cause: error });
    kind = 'permanent';
  }
  // On insert, a missing referenced resource (image, machine type) is the caller's bad input.
  if (kind === 'notFound' && context.creating) kind = 'badInput';
  return cloudError(kind, reason ?? (grpc !== undefined ? `GRPC_${grpc}` : 'Unknown'), `GCP: ${message}`, { cause: error, field: fieldFromMessage(message) });
}

/** The error a finished zone operation carries, classified; null when it succeeded. */
export function gcpOperationError(operation: Operation): ProviderError | null {
  const first = operation.error?.errors?.[0];
  if (!first) return null;
  const code = first.code ?? 'UNKNOWN';
  const message = first.message ?? code;
  return cloudError(gceOperationErrors[code] ?? 'permanent', code, `GCP: ${message}`, { field: fieldFromMessage(message) });
}

/** The instance name a client token maps to: deterministic, so a retried insert targets the same name. */
export function gceInstanceName(clientToken: string): string {
  return `nc-${createHash('sha256').update(clientToken).digest('hex').slice(0, 24)}`;
}

/** GCE's requestId for a client token: a UUID derived from it (name-based, version 5 layout). */
export function gceRequestId(clientToken: string): string {
  const bytes = createHash('sha256').update(`novacron:gce:${clientToken}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** GCP label keys and values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
function labelSafe(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

/**
 * A {@link ProviderDriver} for Compute Engine on `@google-cloud/compute` (REST). Provider ids are
 * `projects/<p>/zones/<z>/instances/<name>`. Creates use a deterministic instance name and a
 * requestId derived from the client token, and await the zone operation, so capacity and quota
 * failures (reported on the operation) surface from `create`. Resizing needs a stopped
 * (TERMINATED) instance, as on GCE.
 */
export function createGcpDriver(options: GcpDriverOptions): ProviderDriver & MetricsSource {
  const catalog = options.catalog ?? loadCatalog();
  const view = createCatalogView('gcp', catalog, Object.keys(gceImages));
  const project = options.credentials.project;
  const pollHintMs = options.pollHintMs ?? 2_000;
  const zoneOf = (region: string) => options.zones?.[region] ?? `${region}-a`;
  // The SDKs are imported on first use, and the gax clients built then: importing @google-cloud/compute
  // holds ≈ 90 MB of heap (its protos), @google-cloud/monitoring ≈ 14 MB and google-gax ≈ 9 MB, which
  // every process importing @novacron/providers paid even with simulated providers only, in longer
  // major GCs and start-up (docs/benchmarks.md); building a client parses the Compute protos (seconds
  // of CPU), and a driver that only describes itself (the providers query) never needs them.
  const serviceAccount = options.credentials.serviceAccount;
  const clientOptions = onFirstUse(
    async (): Promise<ClientOptions> => ({
      fallback: true,
      ...(options.endpoint ? { apiEndpoint: options.endpoint.host, port: options.endpoint.port, protocol: options.endpoint.protocol } : {}),
      ...(serviceAccount ? { authClient: await serviceAccountClient(serviceAccount) } : {}),
    }),
  );
  const instances = onFirstUse(async (): Promise<InstancesClient> => new (await import('@google-cloud/compute')).InstancesClient(await clientOptions()));
  const operations = onFirstUse(async (): Promise<ZoneOperationsClient> => new (await import('@google-cloud/compute')).ZoneOperationsClient(await clientOptions()));
  const monitoring = onFirstUse(async (): Promise<MetricServiceClient> => new (await import('@google-cloud/monitoring')).MetricServiceClient(await clientOptions()));
  /** Per-call options: retries of throttling and unavailability; `list` for the *Async list methods, which page themselves (gax warns unless auto-pagination is off). */
  const calls = onFirstUse(
    async (): Promise<{ call: CallOptions; list: CallOptions }> => {
      const gax = await import('google-gax');
      const call: CallOptions = {
        retry: gax.createRetryOptions(
          [8, 14, 4], // RESOURCE_EXHAUSTED (throttled), UNAVAILABLE, DEADLINE_EXCEEDED; mutations carry a requestId, so retrying them is safe
          gax.createMaxRetriesBackoffSettings(options.retry?.initialDelayMs ?? 500, 2, 30_000, 60_000, 1, 60_000, options.retry?.maxRetries ?? 4),
        ),
      };
      return { call, list: { ...call, autoPaginate: false } };
    },
  );

  const capabilities: ProviderCapabilities = Object.freeze({ resizeRequiresStop: true, idempotentCreate: true, canReboot: true, images: Object.keys(gceImages) });
  const description: ProviderDescription = Object.freeze({ name: 'gcp', displayName: 'Google Cloud', simulated: false, regions: view.regions, capabilities });

  function parseId(providerId: string) {
    const match = providerIdPattern.exec(providerId);
    if (!match || match[1] !== project) throw cloudError('notFound', 'RESOURCE_NOT_FOUND', `GCP: '${providerId}' is not an instance of project ${project}`);
    return { zone: match[2]!, name: match[3]! };
  }

  function toInstance(instance: Instance, zone: string): ProviderInstance {
    const labels = Object.fromEntries(Object.entries(instance.labels ?? {}));
    const metadata = Object.fromEntries((instance.metadata?.items ?? []).map((item) => [item.key ?? '', item.value ?? '']));
    const state = gceStatuses[String(instance.status ?? '')] ?? 'ERROR';
    const networkInterface = instance.networkInterfaces?.[0];
    return {
      providerId: `projects/${project}/zones/${zone}/instances/${instance.name}`,
      name: metadata['novacron-name'] ?? instance.name ?? '',
      region: zone.replace(/-[a-z]$/, ''),
      instanceType: (instance.machineType ?? '').split('/').pop() ?? '',
      image: metadata[gcpManagedLabels.image] ?? '',
      state,
      privateIp: networkInterface?.networkIP ?? null,
      publicIp: networkInterface?.accessConfigs?.find((config) => config.natIP)?.natIP ?? null,
      clientToken: metadata[gcpManagedLabels.clientToken] ?? labels[gcpManagedLabels.clientToken] ?? null,
      settlesAt: state === 'PENDING' || state === 'STOPPING' ? new Date(Date.now() + pollHintMs) : null,
      tags: labels,
    };
  }

  /** Waits for a zone operation with the Compute `wait` method (it returns when done or after a while). */
  async function awaitOperation(operation: Operation, zone: string): Promise<Operation> {
    let current = operation;
    while (String(current.status) !== 'DONE') {
      const [next] = await instancesCall(async () => (await operations()).wait({ project, zone, operation: current.name ?? '' }, (await calls()).call));
      current = next;
    }
    const failure = gcpOperationError(current);
    if (failure) throw failure;
    return current;
  }

  async function instancesCall<T>(action: () => Promise<T>, context: { creating?: boolean } = {}): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw gcpProviderError(error, context);
    }
  }

  async function get(providerId: string): Promise<ProviderInstance | null> {
    const { zone, name } = parseId(providerId);
    try {
      const [instance] = await instancesCall(async () => (await instances()).get({ project, zone, instance: name }, (await calls()).call));
      return toInstance(instance, zone);
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async function mustGet(providerId: string): Promise<ProviderInstance> {
    const instance = await get(providerId);
    if (!instance) throw cloudError('notFound', 'RESOURCE_NOT_FOUND', `GCP: instance '${providerId}' does not exist`);
    return instance;
  }

  async function create(request: CreateInstanceRequest): Promise<ProviderInstance> {
    if (request.clientToken === '') throw cloudError('badInput', 'INVALID_FIELD_VALUE', 'GCP: clientToken must not be empty', { field: 'clientToken' });
    const sourceImage = gceImages[request.image];
    if (!sourceImage) throw cloudError('badInput', 'INVALID_FIELD_VALUE', `GCP: no image "${request.image}"; choose one of ${Object.keys(gceImages).join(', ')}`, { field: 'image' });
    const zone = zoneOf(request.region);
    const name = gceInstanceName(request.clientToken);
    const providerId = `projects/${project}/zones/${zone}/instances/${name}`;
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.labels)) labels[labelSafe(key)] = labelSafe(value);
    Object.assign(labels, {
      [gcpManagedLabels.managedBy]: gcpManagedLabels.managedByValue,
      [gcpManagedLabels.clientToken]: labelSafe(request.clientToken),
      ...(request.vmId ? { [gcpManagedLabels.vmId]: labelSafe(request.vmId) } : {}),
      ...(request.tenantId ? { [gcpManagedLabels.tenant]: labelSafe(request.tenantId) } : {}),
    });
    const metadata = { 'novacron-name': request.name, [gcpManagedLabels.clientToken]: request.clientToken, [gcpManagedLabels.image]: request.image };
    let operation: Operation;
    try {
      operation = computeOperation(await instancesCall(
        async () =>
          (await instances()).insert(
            {
              project,
              zone,
              requestId: gceRequestId(request.clientToken),
              instanceResource: {
                name,
                machineType: `zones/${zone}/machineTypes/${request.instanceType}`,
                labels,
                metadata: { items: Object.entries(metadata).map(([key, value]) => ({ key, value })) },
                disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage } }],
                networkInterfaces: [{ accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] }],
              },
            },
            (await calls()).call,
          ),
        { creating: true },
      ));
    } catch (error) {
      // The requestId window passed but our deterministic name exists: adopt it when it is ours, never a foreign one.
      if (error instanceof ProviderError && error.code === 'CONFLICT') {
        const existing = await get(providerId);
        if (existing && existing.clientToken === request.clientToken) return existing;
      }
      throw error;
    }
    await awaitOperation(operation, zone);
    return mustGet(providerId);
  }

  async function act(providerId: string, send: (zone: string, name: string, requestId: string) => Promise<[unknown, ...unknown[]]>): Promise<ProviderInstance> {
    const { zone, name } = parseId(providerId);
    await awaitOperation(computeOperation(await instancesCall(() => send(zone, name, randomUUID()))), zone);
    return mustGet(providerId);
  }

  async function list(filter: { region?: string; managedOnly?: boolean } = {}): Promise<ProviderInstance[]> {
    const request = { project, ...(filter.managedOnly ? { filter: `labels.${gcpManagedLabels.managedBy} = "${gcpManagedLabels.managedByValue}"` } : {}), maxResults: 100 };
    const found: ProviderInstance[] = [];
    await instancesCall(async () => {
      if (filter.region) {
        const zone = zoneOf(filter.region);
        for await (const instance of (await instances()).listAsync({ ...request, zone }, (await calls()).list)) found.push(toInstance(instance, zone));
        return;
      }
      for await (const [scope, scoped] of (await instances()).aggregatedListAsync(request, (await calls()).list)) {
        const zone = scope.replace(/^zones\//, '');
        for (const instance of scoped.instances ?? []) found.push(toInstance(instance, zone));
      }
    });
    return found;
  }

  /** Cloud Monitoring listTimeSeries, one call per metric type for all the instances, matched by instance name. */
  async function metrics(request: MetricsRequest): Promise<MetricSample[]> {
    const byName = new Map(request.instances.map((target) => [parseId(target.providerId).name, target.vmId]));
    if (byName.size === 0) return [];
    const period = options.metricsPeriodSeconds ?? 60;
    const names = [...byName.keys()].map((name) => `"${name}"`).join(', ');
    const samples: MetricSample[] = [];
    for (const metric of gceMetrics) {
      await instancesCall(async () => {
        const series = (await monitoring()).listTimeSeriesAsync(
          {
            name: `projects/${project}`,
            filter: `metric.type = "${metric.type}" AND metric.labels.instance_name = one_of(${names})`,
            interval: { startTime: { seconds: Math.floor(request.from.getTime() / 1000) }, endTime: { seconds: Math.floor(request.to.getTime() / 1000) } },
            aggregation: { alignmentPeriod: { seconds: period }, perSeriesAligner: metric.aligner },
            view: 'FULL',
          },
          (await calls()).list,
        );
        for await (const timeSeries of series) {
          const vmId = byName.get(timeSeries.metric?.labels?.instance_name ?? '');
          if (!vmId) continue;
          for (const point of timeSeries.points ?? []) {
            const seconds = Number(point.interval?.endTime?.seconds ?? 0);
            const raw = point.value?.doubleValue ?? point.value?.int64Value;
            if (raw === undefined || raw === null) continue;
            samples.push({ vmId, kind: metric.kind, t: new Date(seconds * 1000), value: Number(raw) * metric.scale });
          }
        }
      });
    }
    return samples;
  }

  return {
    name: 'gcp',
    metrics,
    describe: () => description,
    capabilities: () => capabilities,
    validate: view.validate,
    create,
    start: (providerId) => act(providerId, async (zone, instance, requestId) => (await instances()).start({ project, zone, instance, requestId }, (await calls()).call)),
    stop: (providerId) => act(providerId, async (zone, instance, requestId) => (await instances()).stop({ project, zone, instance, requestId }, (await calls()).call)),
    reboot: (providerId) => act(providerId, async (zone, instance, requestId) => (await instances()).reset({ project, zone, instance, requestId }, (await calls()).call)),
    resize: (providerId, instanceType) =>
      act(providerId, async (zone, instance, requestId) =>
        (await instances()).setMachineType({ project, zone, instance, requestId, instancesSetMachineTypeRequestResource: { machineType: `zones/${zone}/machineTypes/${instanceType}` } }, (await calls()).call),
      ),
    delete: async (providerId) => {
      const before = await mustGet(providerId);
      const { zone, name } = parseId(providerId);
      await awaitOperation(computeOperation(await instancesCall(async () => (await instances()).delete({ project, zone, instance: name, requestId: randomUUID() }, (await calls()).call))), zone);
      return (await get(providerId)) ?? { ...before, state: 'DELETED', publicIp: null, privateIp: null, settlesAt: null };
    },
    get,
    findByClientToken: async (clientToken, hint = {}) => {
      if (hint.region) return get(`projects/${project}/zones/${zoneOf(hint.region)}/instances/${gceInstanceName(clientToken)}`);
      const label = labelSafe(clientToken);
      const found = await instancesCall(async () => {
        for await (const [scope, scoped] of (await instances()).aggregatedListAsync({ project, filter: `labels.${gcpManagedLabels.clientToken} = "${label}"` }, (await calls()).list)) {
          const match = (scoped.instances ?? []).find((instance) => instance.name === gceInstanceName(clientToken));
          if (match) return toInstance(match, scope.replace(/^zones\//, ''));
        }
        return null;
      });
      return found;
    },
    list,
  };
}

/**
 * The compute Operation inside a mutation's result. Compute's REST ("DIREGAPIC") methods return it
 * as `latestResponse` of gax's long-running wrapper, which types that field as a
 * google.longrunning.Operation; the value really is the compute Operation the server sent.
 */
function computeOperation(result: [unknown, ...unknown[]]): Operation {
  return (result[0] as { latestResponse: Operation }).latestResponse;
}

/** A service-account client that signs its own JWT access tokens (no token round trip), as Google's client libraries do by default. */
async function serviceAccountClient(key: GcpServiceAccountKey): Promise<JWT> {
  const { JWT } = await import('google-auth-library');
  const client = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes });
  client.useJWTAccessWithScope = true;
  return client;
}
