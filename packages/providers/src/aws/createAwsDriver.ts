import { createHash } from 'node:crypto';
import type { EC2Client, Filter, Instance, _InstanceType } from '@aws-sdk/client-ec2';
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Catalog } from '@novacron/catalog';
import { loadCatalog } from '@novacron/catalog';
import type { CreateInstanceRequest, ProviderCapabilities, ProviderDescription, ProviderDriver, ProviderInstance } from '../ProviderDriver.ts';
import { ProviderError } from '../ProviderError.ts';
import { cloudError, fieldFromMessage, isNetworkError, parseRetryAfter } from '../cloud/cloudError.ts';
import { createCatalogView } from '../cloud/createCatalogView.ts';
import { managedTags } from '../cloud/managedTags.ts';
import { onFirstUse } from '../cloud/onFirstUse.ts';
import type { MetricKind, MetricSample, MetricsRequest, MetricsSource } from '../cloud/metrics.ts';
import { awsImages, cloudWatchMetrics, ec2ErrorFields, ec2Errors, ec2States } from './awsMappings.ts';

// The SDKs are imported on first use, like the GCP driver's: @aws-sdk/client-ec2 and its companions hold
// ≈ 13 MB of heap and ≈ 0.3 s of start-up in every process that imports @novacron/providers, most of
// which never call AWS (the simulated providers; the subgraphs that only describe and validate).
const loadEc2 = onFirstUse(() => import('@aws-sdk/client-ec2'));
const loadCloudWatch = onFirstUse(() => import('@aws-sdk/client-cloudwatch'));
const loadCredentialProviders = onFirstUse(() => import('@aws-sdk/credential-providers'));

/** AWS credentials: an access key pair, or a role to assume (with the default chain's identity); none → the SDK's default chain. */
export type AwsCredentials =
  | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { roleArn: string; externalId?: string; sessionName?: string; accessKeyId?: string; secretAccessKey?: string };

/** Options for {@link createAwsDriver}. */
export interface AwsDriverOptions {
  /** The tenant's credentials; omitted → the SDK's default chain (environment, profile, instance role). */
  credentials?: AwsCredentials;
  /** An endpoint override (the EC2 emulator); the regional AWS endpoint when omitted. */
  endpoint?: string;
  /** SDK attempts per call, retries of throttling and 5xx included (SDK default 3). */
  maxAttempts?: number;
  /** Regions searched when a call names none (list, findByClientToken); the catalog's AWS regions by default. */
  regions?: string[];
  /** How long after a transition the caller should poll again (settlesAt hint); 2 s by default. */
  pollHintMs?: number;
  /** CloudWatch period of metrics in seconds: 300 (basic monitoring) by default, 60 with detailed monitoring. */
  metricsPeriodSeconds?: number;
  catalog?: Catalog;
}

const arnPattern = /^arn:aws[a-z-]*:ec2:([a-z0-9-]+):(\d*):instance\/(i-[0-9a-f]+)$/;
const liveStates = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

function isServiceException(error: unknown): error is Error & { $metadata: { httpStatusCode?: number } } {
  return error instanceof Error && typeof (error as { $metadata?: unknown }).$metadata === 'object' && (error as { $fault?: unknown }).$fault !== undefined;
}

/** Translates whatever the SDK threw into a ProviderError using the EC2 error table. */
export function awsProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // EC2, CloudWatch, and STS (assuming a role) all throw smithy service exceptions, known by their shape
  // (an instanceof check would need the SDKs loaded).
  if (isServiceException(error)) {
    const code = error.name;
    const status = error.$metadata.httpStatusCode ?? 0;
    const kind = ec2Errors[code] ?? (status >= 500 ? 'transient' : 'permanent');
    const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers ?? {};
    return cloudError(kind, code, `AWS: ${error.message}`, {
      cause: error,
      field: ec2ErrorFields[code] ?? fieldFromMessage(error.message),
      retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (isNetworkError(error)) return cloudError('transient', 'RequestTimeout', `AWS: the request failed in transit and may have been carried out (${(error as Error).message})`, { cause: error });
  return cloudError('permanent', 'Unknown', `AWS: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * A {@link ProviderDriver} for Amazon EC2 on `@aws-sdk/client-ec2`. Provider ids are instance ARNs
 * (they carry the region every EC2 call needs). Creates are idempotent through `ClientToken`
 * (the caller's client token, hashed when over EC2's 64 characters); instances are tagged
 * `managed-by=novacron`. Resizing needs a stopped instance, as on EC2.
 */
export function createAwsDriver(options: AwsDriverOptions = {}): ProviderDriver & MetricsSource {
  const catalog = options.catalog ?? loadCatalog();
  const view = createCatalogView('aws', catalog, Object.keys(awsImages));
  const searchRegions = options.regions ?? view.regionNames;
  const pollHintMs = options.pollHintMs ?? 2_000;
  const clients = new Map<string, () => Promise<EC2Client>>();
  const watchers = new Map<string, () => Promise<CloudWatchClient>>();
  const amiCache = new Map<string, string>();

  const capabilities: ProviderCapabilities = Object.freeze({ resizeRequiresStop: true, idempotentCreate: true, canReboot: true, images: Object.keys(awsImages) });
  const description: ProviderDescription = Object.freeze({ name: 'aws', displayName: 'Amazon Web Services', simulated: false, regions: view.regions, capabilities });

  async function credentialsFor(region: string) {
    const given = options.credentials;
    if (!given) return undefined;
    if ('roleArn' in given) {
      const base = given.accessKeyId && given.secretAccessKey ? { accessKeyId: given.accessKeyId, secretAccessKey: given.secretAccessKey } : undefined;
      const { fromTemporaryCredentials } = await loadCredentialProviders();
      return fromTemporaryCredentials({
        params: { RoleArn: given.roleArn, RoleSessionName: given.sessionName ?? 'novacron', ExternalId: given.externalId },
        ...(base ? { masterCredentials: base } : {}),
        clientConfig: { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
      });
    }
    return { accessKeyId: given.accessKeyId, secretAccessKey: given.secretAccessKey, sessionToken: given.sessionToken };
  }

  const clientConfig = async (region: string) => ({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    credentials: await credentialsFor(region),
  });

  /** The region's EC2 client, built (and the SDK imported) on first use; a failed build is tried again. */
  function client(region: string): Promise<EC2Client> {
    let ec2 = clients.get(region);
    if (!ec2) {
      ec2 = onFirstUse(async () => new (await loadEc2()).EC2Client(await clientConfig(region)));
      clients.set(region, ec2);
    }
    return ec2();
  }

  function cloudWatch(region: string): Promise<CloudWatchClient> {
    let watcher = watchers.get(region);
    if (!watcher) {
      watcher = onFirstUse(async () => new (await loadCloudWatch()).CloudWatchClient(await clientConfig(region)));
      watchers.set(region, watcher);
    }
    return watcher();
  }

  /** CloudWatch GetMetricData for every instance and metric, one query each, 500 queries a call, per region. */
  async function metrics(request: MetricsRequest): Promise<MetricSample[]> {
    const period = options.metricsPeriodSeconds ?? 300;
    const byRegion = new Map<string, { query: MetricDataQuery; vmId: string; kind: MetricKind }[]>();
    request.instances.forEach((target, index) => {
      const { region, instanceId } = parseId(target.providerId);
      const queries = byRegion.get(region) ?? [];
      cloudWatchMetrics.forEach((metric, metricIndex) => {
        queries.push({
          vmId: target.vmId,
          kind: metric.kind,
          query: {
            Id: `q${index}_${metricIndex}`,
            MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: metric.name, Dimensions: [{ Name: 'InstanceId', Value: instanceId }] }, Period: period, Stat: metric.stat },
            ReturnData: true,
          },
        });
      });
      byRegion.set(region, queries);
    });
    const samples: MetricSample[] = [];
    for (const [region, queries] of byRegion) {
      for (let start = 0; start < queries.length; start += 500) {
        const chunk = queries.slice(start, start + 500);
        const meaning = new Map(chunk.map((entry) => [entry.query.Id!, entry]));
        await call(async () => {
          const { paginateGetMetricData } = await loadCloudWatch();
          const pages = paginateGetMetricData({ client: await cloudWatch(region) }, { MetricDataQueries: chunk.map((entry) => entry.query), StartTime: request.from, EndTime: request.to, ScanBy: 'TimestampAscending' });
          for await (const page of pages) {
            for (const result of page.MetricDataResults ?? []) {
              const entry = meaning.get(result.Id ?? '');
              if (!entry) continue;
              (result.Timestamps ?? []).forEach((t, point) => {
                const value = result.Values?.[point];
                if (value !== undefined) samples.push({ vmId: entry.vmId, kind: entry.kind, t, value });
              });
            }
          }
        });
      }
    }
    return samples;
  }

  async function call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw awsProviderError(error);
    }
  }

  function toInstance(instance: Instance, region: string, ownerId: string): ProviderInstance {
    const tags = Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const state = ec2States[instance.State?.Name ?? ''] ?? 'ERROR';
    const transitional = state === 'PENDING' || state === 'STOPPING' || state === 'DELETING';
    return {
      providerId: `arn:aws:ec2:${region}:${ownerId}:instance/${instance.InstanceId}`,
      name: tags.Name ?? instance.InstanceId ?? '',
      region,
      instanceType: instance.InstanceType ?? '',
      image: tags[managedTags.image] ?? instance.ImageId ?? '',
      state,
      privateIp: instance.PrivateIpAddress ?? null,
      publicIp: instance.PublicIpAddress ?? null,
      clientToken: tags[managedTags.clientToken] ?? (instance.ClientToken || null),
      settlesAt: transitional ? new Date(Date.now() + pollHintMs) : null,
      tags,
    };
  }

  function parseId(providerId: string): { region: string; instanceId: string } {
    const match = arnPattern.exec(providerId);
    if (!match) throw cloudError('notFound', 'InvalidInstanceID.Malformed', `AWS: '${providerId}' is not an EC2 instance ARN`);
    return { region: match[1]!, instanceId: match[3]! };
  }

  async function describe(region: string, filters: { instanceIds?: string[]; filters?: Filter[] }): Promise<ProviderInstance[]> {
    const found: ProviderInstance[] = [];
    const { paginateDescribeInstances } = await loadEc2();
    const pages = paginateDescribeInstances({ client: await client(region), pageSize: 100 }, { InstanceIds: filters.instanceIds, Filters: filters.filters });
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) found.push(toInstance(instance, region, reservation.OwnerId ?? ''));
      }
    }
    return found;
  }

  async function get(providerId: string): Promise<ProviderInstance | null> {
    const { region, instanceId } = parseId(providerId);
    try {
      const [instance] = await call(() => describe(region, { instanceIds: [instanceId] }));
      return instance ?? null;
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async function mustGet(providerId: string): Promise<ProviderInstance> {
    const instance = await get(providerId);
    if (!instance) throw cloudError('notFound', 'InvalidInstanceID.NotFound', `AWS: instance '${providerId}' does not exist`);
    return instance;
  }

  async function resolveImage(region: string, image: string): Promise<string> {
    if (/^ami-[0-9a-f]+$/.test(image)) return image;
    const source = awsImages[image];
    if (!source) throw cloudError('badInput', 'InvalidAMIID.NotFound', `AWS: no image "${image}"; choose one of ${Object.keys(awsImages).join(', ')}`, { field: 'image' });
    const cached = amiCache.get(`${region}/${image}`);
    if (cached) return cached;
    const { DescribeImagesCommand } = await loadEc2();
    const result = await call(async () =>
      (await client(region)).send(new DescribeImagesCommand({ Owners: [source.owner], Filters: [{ Name: 'name', Values: [source.namePattern] }, { Name: 'state', Values: ['available'] }] })),
    );
    const newest = (result.Images ?? []).filter((candidate) => candidate.ImageId).sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    if (!newest?.ImageId) throw cloudError('badInput', 'InvalidAMIID.NotFound', `AWS: no AMI for "${image}" in ${region}`, { field: 'image' });
    amiCache.set(`${region}/${image}`, newest.ImageId);
    return newest.ImageId;
  }

  async function create(request: CreateInstanceRequest): Promise<ProviderInstance> {
    if (request.clientToken === '') throw cloudError('badInput', 'MissingParameter', 'AWS: clientToken must not be empty', { field: 'clientToken' });
    const imageId = await resolveImage(request.region, request.image);
    const tags: Record<string, string> = {
      ...request.labels,
      Name: request.name,
      [managedTags.managedBy]: managedTags.managedByValue,
      [managedTags.clientToken]: request.clientToken,
      [managedTags.image]: request.image,
      ...(request.vmId ? { [managedTags.vmId]: request.vmId } : {}),
      ...(request.tenantId ? { [managedTags.tenant]: request.tenantId } : {}),
    };
    const { RunInstancesCommand } = await loadEc2();
    const result = await call(async () =>
      (await client(request.region)).send(
        new RunInstancesCommand({
          ClientToken: ec2ClientToken(request.clientToken),
          ImageId: imageId,
          InstanceType: request.instanceType as _InstanceType,
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      ),
    );
    const instance = result.Instances?.[0];
    if (!instance) throw cloudError('transient', 'EmptyResponse', 'AWS: RunInstances returned no instance');
    return toInstance(instance, request.region, result.OwnerId ?? '');
  }

  async function act(providerId: string, send: (ec2: EC2Client, sdk: typeof import('@aws-sdk/client-ec2'), instanceId: string) => Promise<unknown>): Promise<ProviderInstance> {
    const { region, instanceId } = parseId(providerId);
    await call(async () => send(await client(region), await loadEc2(), instanceId));
    return mustGet(providerId);
  }

  async function findByClientToken(clientToken: string, hint: { region?: string } = {}): Promise<ProviderInstance | null> {
    const regions = hint.region ? [hint.region] : searchRegions;
    const found = await Promise.all(
      regions.map((region) => call(() => describe(region, { filters: [{ Name: 'client-token', Values: [ec2ClientToken(clientToken)] }] }))),
    );
    const matches = found.flat();
    return matches.find((instance) => instance.state !== 'DELETED') ?? matches[0] ?? null;
  }

  async function list(filter: { region?: string; managedOnly?: boolean } = {}): Promise<ProviderInstance[]> {
    const regions = filter.region ? [filter.region] : searchRegions;
    const filters: Filter[] = [{ Name: 'instance-state-name', Values: liveStates }];
    if (filter.managedOnly) filters.push({ Name: `tag:${managedTags.managedBy}`, Values: [managedTags.managedByValue] });
    const found = await Promise.all(regions.map((region) => call(() => describe(region, { filters }))));
    return found.flat();
  }

  return {
    name: 'aws',
    describe: () => description,
    capabilities: () => capabilities,
    validate: view.validate,
    create,
    start: (providerId) => act(providerId, (ec2, sdk, id) => ec2.send(new sdk.StartInstancesCommand({ InstanceIds: [id] }))),
    stop: (providerId) => act(providerId, (ec2, sdk, id) => ec2.send(new sdk.StopInstancesCommand({ InstanceIds: [id] }))),
    reboot: (providerId) => act(providerId, (ec2, sdk, id) => ec2.send(new sdk.RebootInstancesCommand({ InstanceIds: [id] }))),
    resize: (providerId, instanceType) =>
      act(providerId, (ec2, sdk, id) => ec2.send(new sdk.ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: instanceType } }))),
    delete: (providerId) => act(providerId, (ec2, sdk, id) => ec2.send(new sdk.TerminateInstancesCommand({ InstanceIds: [id] }))),
    get,
    findByClientToken,
    list,
    metrics,
  };
}

/** EC2 takes client tokens of at most 64 ASCII characters; longer ones are replaced by their SHA-256. */
export function ec2ClientToken(clientToken: string): string {
  return clientToken.length <= 64 && /^[\x20-\x7e]+$/.test(clientToken) ? clientToken : createHash('sha256').update(clientToken).digest('hex');
}
