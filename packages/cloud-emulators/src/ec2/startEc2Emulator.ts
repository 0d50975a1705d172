/**
 * A loopback EC2 endpoint speaking the Query API (form-encoded POST, XML responses, EC2 error
 * codes), for the actions NovaCron's AWS driver uses, with a state machine, SigV4 verification,
 * ClientToken idempotency, pagination, capacity, and injectable faults. The same port answers
 * CloudWatch's GetMetricData (AWS JSON 1.0, told apart by `X-Amz-Target`) with deterministic
 * synthetic samples for the instances it holds. One file: the actions share the instance model.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLBuilder } from 'fast-xml-parser';
import { FaultPlan } from '../shared/FaultPlan.ts';
import { listenLoopback, loseResponse } from '../shared/listenLoopback.ts';
import { settle, transition, type Settling } from '../shared/settle.ts';
import { verifySigV4 } from './verifySigV4.ts';

/** EC2's instance states. */
export type Ec2State = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

const stateCodes: Record<Ec2State, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** One emulated instance. */
export interface Ec2Instance extends Settling<Ec2State> {
  instanceId: string;
  reservationId: string;
  region: string;
  instanceType: string;
  imageId: string;
  clientToken: string;
  tags: Record<string, string>;
  privateIp: string;
  publicIp: string | null;
  launchTime: Date;
}

/** Options for {@link startEc2Emulator}. */
export interface Ec2EmulatorOptions {
  /** Access keys the emulator accepts, by id; requests signed with anything else fail with AuthFailure. */
  credentials: Record<string, string>;
  /** The account id reported as the owner of instances. */
  accountId?: string;
  /** How long pending/stopping/shutting-down last; 0 settles at once. */
  latencyMs?: number;
  /** The most instances that are not terminated per region. */
  capacityPerRegion?: number;
  /** Instance types accepted by RunInstances and ModifyInstanceAttribute; any `family.size` when omitted. */
  instanceTypes?: string[];
  /** Roles STS AssumeRole (same port) hands temporary credentials for, with the external id each requires. */
  roles?: Record<string, { externalId?: string }>;
}

/** A running EC2 emulator. */
export interface Ec2Emulator {
  /** Endpoint to give the SDK (`endpoint`). */
  url: string;
  faults: FaultPlan;
  /** Every instance, terminated ones included (settled first). */
  instances(): Ec2Instance[];
  /** Changes an instance behind NovaCron's back (for drift tests); `terminated` makes it vanish from tag filters too. */
  alter(instanceId: string, change: { state?: Ec2State; instanceType?: string }): void;
  /** How many requests each action received (retries included). */
  requestCounts(): Record<string, number>;
  /** The access key ids that signed accepted requests (temporary `ASIA…` keys for assumed roles). */
  signers(): string[];
  /** The role each temporary access key was issued for. */
  sessionRole(accessKeyId: string): string | undefined;
  close(): Promise<void>;
}

/** Public AMIs the emulator knows: the driver resolves image names to these through DescribeImages. */
export const emulatedAmis: readonly { imageId: string; ownerId: string; name: string; creationDate: string }[] = Object.freeze([
  { imageId: 'ami-0a1b2c3d4e5f60001', ownerId: '099720109477', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250101', creationDate: '2025-01-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60002', ownerId: '099720109477', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250601', creationDate: '2025-06-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60003', ownerId: '099720109477', name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250601', creationDate: '2025-06-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60004', ownerId: '136693071363', name: 'debian-12-amd64-20250601-2000', creationDate: '2025-06-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60005', ownerId: '792107900819', name: 'Rocky-9-EC2-Base-9.5-20250601.0.x86_64', creationDate: '2025-06-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60006', ownerId: '801119661308', name: 'Windows_Server-2022-English-Full-Base-2025.06.01', creationDate: '2025-06-01T00:00:00.000Z' },
]);

class Ec2Failure extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: string, message: string, status = 400, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

const xml = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, format: false });
const namespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** Starts the emulator on a free loopback port. */
export async function startEc2Emulator(options: Ec2EmulatorOptions): Promise<Ec2Emulator> {
  const accountId = options.accountId ?? '123456789012';
  const latencyMs = options.latencyMs ?? 0;
  const capacity = options.capacityPerRegion ?? 1_000;
  const knownTypes = options.instanceTypes ? new Set(options.instanceTypes) : null;
  const faults = new FaultPlan();
  const instances = new Map<string, Ec2Instance>();
  const counts: Record<string, number> = {};
  const signers = new Set<string>();
  /** Temporary credentials issued by AssumeRole: key id → secret and session token. */
  const sessions = new Map<string, { secret: string; token: string; roleArn: string }>();
  const secretFor = (id: string) => options.credentials[id] ?? sessions.get(id)?.secret;

  const all = () => {
    for (const instance of instances.values()) settle(instance);
    return [...instances.values()];
  };
  const find = (instanceId: string) => {
    const instance = instances.get(instanceId);
    if (!instance) throw new Ec2Failure('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    settle(instance);
    return instance;
  };
  const checkType = (instanceType: string | undefined, field: string) => {
    if (!instanceType || (knownTypes ? !knownTypes.has(instanceType) : !/^[a-z0-9-]+\.[a-z0-9]+$/.test(instanceType))) {
      throw new Ec2Failure('InvalidParameterValue', `Invalid value '${instanceType ?? ''}' for ${field}.`);
    }
  };

  function runInstances(params: URLSearchParams, region: string) {
    const clientToken = params.get('ClientToken') ?? '';
    if (clientToken.length > 64) throw new Ec2Failure('InvalidParameterValue', 'Value for parameter ClientToken is too long (maximum 64 characters).');
    const instanceType = params.get('InstanceType') ?? 'm1.small';
    const imageId = params.get('ImageId') ?? '';
    if (clientToken) {
      const earlier = all().find((instance) => instance.clientToken === clientToken && instance.region === region);
      if (earlier) {
        if (earlier.instanceType !== instanceType || earlier.imageId !== imageId) {
          throw new Ec2Failure('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
        }
        return { reservationId: earlier.reservationId, items: [earlier] };
      }
    }
    checkType(params.get('InstanceType') ?? undefined, 'InstanceType');
    if (!emulatedAmis.some((ami) => ami.imageId === imageId)) throw new Ec2Failure('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    const live = all().filter((instance) => instance.region === region && instance.state !== 'terminated').length;
    if (live >= capacity) {
      throw new Ec2Failure('InsufficientInstanceCapacity', `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${region}a).`, 500);
    }
    const tags: Record<string, string> = {};
    for (let spec = 1; params.has(`TagSpecification.${spec}.ResourceType`); spec += 1) {
      if (params.get(`TagSpecification.${spec}.ResourceType`) !== 'instance') continue;
      for (let tag = 1; params.has(`TagSpecification.${spec}.Tag.${tag}.Key`); tag += 1) {
        tags[params.get(`TagSpecification.${spec}.Tag.${tag}.Key`)!] = params.get(`TagSpecification.${spec}.Tag.${tag}.Value`) ?? '';
      }
    }
    const instance: Ec2Instance = {
      instanceId: `i-${randomBytes(9).toString('hex').slice(0, 17)}`,
      reservationId: `r-${randomBytes(9).toString('hex').slice(0, 17)}`,
      region,
      instanceType,
      imageId,
      clientToken,
      tags,
      privateIp: `10.0.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 254)}`,
      publicIp: null,
      launchTime: new Date(),
      state: 'pending',
      target: null,
    };
    transition(instance, 'pending', 'running', latencyMs);
    instances.set(instance.instanceId, instance);
    return { reservationId: instance.reservationId, items: [instance] };
  }

  /** Applies a state change to every `InstanceId.N`, returning EC2's previous/current state pairs. */
  function changeStates(params: URLSearchParams, change: (instance: Ec2Instance) => void) {
    const ids = listParam(params, 'InstanceId');
    const targets = ids.map(find);
    return targets.map((instance) => {
      const previous = instance.state;
      change(instance);
      return { instanceId: instance.instanceId, currentState: stateXml(instance.state), previousState: stateXml(previous) };
    });
  }
  const requireState = (instance: Ec2Instance, allowed: Ec2State[], verb: string) => {
    if (!allowed.includes(instance.state)) {
      throw new Ec2Failure('IncorrectInstanceState', `The instance '${instance.instanceId}' is not in a state from which it can be ${verb}.`);
    }
  };

  function describeInstances(params: URLSearchParams, region: string) {
    const ids = listParam(params, 'InstanceId');
    const filters: { name: string; values: string[] }[] = [];
    for (let index = 1; params.has(`Filter.${index}.Name`); index += 1) {
      filters.push({ name: params.get(`Filter.${index}.Name`)!, values: listParam(params, `Filter.${index}.Value`) });
    }
    let matched = all().filter((instance) => instance.region === region);
    if (ids.length > 0) {
      for (const id of ids) find(id);
      matched = matched.filter((instance) => ids.includes(instance.instanceId));
    }
    for (const filter of filters) {
      matched = matched.filter((instance) => {
        if (filter.name.startsWith('tag:')) return filter.values.includes(instance.tags[filter.name.slice(4)] ?? '\u0000');
        if (filter.name === 'client-token') return filter.values.includes(instance.clientToken);
        if (filter.name === 'instance-state-name') return filter.values.includes(instance.state);
        throw new Ec2Failure('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
      });
    }
    const maxResults = Number(params.get('MaxResults') ?? 1000);
    const start = Number(params.get('NextToken') ?? 0);
    const page = matched.slice(start, start + maxResults);
    const next = start + maxResults < matched.length ? String(start + maxResults) : undefined;
    return {
      reservationSet: { item: page.map((instance) => ({ reservationId: instance.reservationId, ownerId: accountId, groupSet: '', instancesSet: { item: [instanceXml(instance)] } })) },
      ...(next ? { nextToken: next } : {}),
    };
  }

  function describeImages(params: URLSearchParams) {
    const owners = listParam(params, 'Owner');
    const ids = listParam(params, 'ImageId');
    let images = [...emulatedAmis];
    if (owners.length > 0) images = images.filter((image) => owners.includes(image.ownerId));
    if (ids.length > 0) images = images.filter((image) => ids.includes(image.imageId));
    for (let index = 1; params.has(`Filter.${index}.Name`); index += 1) {
      if (params.get(`Filter.${index}.Name`) !== 'name') continue;
      const patterns = listParam(params, `Filter.${index}.Value`).map((value) => new RegExp(`^${value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
      images = images.filter((image) => patterns.some((pattern) => pattern.test(image.name)));
    }
    return {
      imagesSet: { item: images.map((image) => ({ imageId: image.imageId, imageOwnerId: image.ownerId, name: image.name, creationDate: image.creationDate, imageState: 'available' })) },
    };
  }

  const actions: Record<string, (params: URLSearchParams, region: string) => object> = {
    RunInstances: (params, region) => {
      const { reservationId, items } = runInstances(params, region);
      return { reservationId, ownerId: accountId, groupSet: '', instancesSet: { item: items.map(instanceXml) } };
    },
    DescribeInstances: describeInstances,
    DescribeImages: describeImages,
    StartInstances: (params) => ({
      instancesSet: {
        item: changeStates(params, (instance) => {
          if (instance.state === 'running' || instance.state === 'pending') return;
          requireState(instance, ['stopped'], 'started');
          transition(instance, 'pending', 'running', latencyMs);
          instance.publicIp = null;
        }),
      },
    }),
    StopInstances: (params) => ({
      instancesSet: {
        item: changeStates(params, (instance) => {
          if (instance.state === 'stopped' || instance.state === 'stopping') return;
          requireState(instance, ['running', 'pending'], 'stopped');
          transition(instance, 'stopping', 'stopped', latencyMs);
          instance.publicIp = null;
        }),
      },
    }),
    RebootInstances: (params) => {
      changeStates(params, (instance) => requireState(instance, ['running'], 'rebooted'));
      return { return: 'true' };
    },
    TerminateInstances: (params) => ({
      instancesSet: {
        item: changeStates(params, (instance) => {
          if (instance.state === 'terminated' || instance.state === 'shutting-down') return;
          transition(instance, 'shutting-down', 'terminated', latencyMs);
          instance.publicIp = null;
        }),
      },
    }),
    ModifyInstanceAttribute: (params) => {
      const instance = find(params.get('InstanceId') ?? '');
      const instanceType = params.get('InstanceType.Value');
      if (instanceType === null) throw new Ec2Failure('InvalidParameterCombination', 'Only the InstanceType attribute is emulated');
      checkType(instanceType, 'InstanceType');
      if (instance.state !== 'stopped') {
        throw new Ec2Failure('IncorrectInstanceState', `The instance '${instance.instanceId}' is not in the 'stopped' state.`);
      }
      instance.instanceType = instanceType;
      return { return: 'true' };
    },
  };

  const failureFor = (kind: string, retryAfterSeconds: number): Ec2Failure => {
    switch (kind) {
      case 'throttle':
        return new Ec2Failure('RequestLimitExceeded', 'Request limit exceeded.', 503, retryAfterSeconds > 0 ? { 'retry-after': String(retryAfterSeconds) } : {});
      case 'capacity':
        return new Ec2Failure('InsufficientInstanceCapacity', 'We currently do not have sufficient capacity in the Availability Zone you requested.', 500);
      case 'quota':
        return new Ec2Failure('VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit allows.');
      case 'forbidden':
        return new Ec2Failure('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
      default:
        return new Ec2Failure('InternalError', 'An internal error has occurred.', 500);
    }
  };

  /** CloudWatch GetMetricData: one series per query, a sample per period while the instance existed. */
  function getMetricData(input: { MetricDataQueries?: { Id: string; MetricStat?: { Metric?: { MetricName?: string; Dimensions?: { Name: string; Value: string }[] }; Period?: number } }[]; StartTime?: number; EndTime?: number; NextToken?: string }) {
    const start = Number(input.StartTime ?? 0) * 1000;
    const end = Number(input.EndTime ?? 0) * 1000;
    return {
      MetricDataResults: (input.MetricDataQueries ?? []).map((query) => {
        const instanceId = query.MetricStat?.Metric?.Dimensions?.find((dimension) => dimension.Name === 'InstanceId')?.Value ?? '';
        const metric = query.MetricStat?.Metric?.MetricName ?? '';
        const periodMs = (query.MetricStat?.Period ?? 300) * 1000;
        const instance = instances.get(instanceId);
        const timestamps: number[] = [];
        const values: number[] = [];
        if (instance) {
          // Like CloudWatch: nothing in the future; the period the instance launched in has a point.
          for (let t = Math.ceil(Math.max(start, instance.launchTime.getTime() - periodMs) / periodMs) * periodMs; t < Math.min(end, Date.now()); t += periodMs) {
            timestamps.push(t / 1000);
            values.push(syntheticValue(instanceId, metric, t));
          }
        }
        return { Id: query.Id, Label: metric, Timestamps: timestamps, Values: values, StatusCode: 'Complete' };
      }),
      Messages: [],
    };
  }

  async function handleCloudWatch(request: IncomingMessage, body: Buffer, response: ServerResponse, target: string) {
    const action = target.split('.').pop() ?? '';
    counts[action] = (counts[action] ?? 0) + 1;
    response.setHeader('content-type', 'application/x-amz-json-1.0');
    const fail = (status: number, type: string, message: string) => {
      response.statusCode = status;
      response.setHeader('x-amzn-errortype', type);
      response.end(JSON.stringify({ __type: type, message }));
    };
    const auth = verifySigV4(request, body, secretFor);
    if (!auth.ok) return fail(auth.code === 'AuthFailure' ? 403 : 403, auth.code === 'SignatureDoesNotMatch' ? 'SignatureDoesNotMatch' : 'UnrecognizedClientException', auth.message);
    signers.add(auth.accessKeyId);
    const fault = faults.take(action);
    if (fault?.kind === 'throttle') return fail(400, 'Throttling', 'Rate exceeded');
    if (fault && fault.kind !== 'lost_response') return fail(500, 'InternalServiceError', 'Internal error');
    if (action !== 'GetMetricData') return fail(400, 'UnknownOperationException', `${action} is not emulated`);
    const result = getMetricData(JSON.parse(body.toString('utf8') || '{}'));
    if (fault?.kind === 'lost_response') return loseResponse(response);
    response.statusCode = 200;
    response.end(JSON.stringify(result));
  }

  async function handle(request: IncomingMessage, body: Buffer, response: ServerResponse) {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('GraniteServiceVersion20100801.')) return handleCloudWatch(request, body, response, target);
    const requestId = randomUUID();
    const params = new URLSearchParams(request.method === 'POST' ? body.toString('utf8') : new URL(request.url ?? '/', 'http://x').search);
    const action = params.get('Action') ?? '';
    counts[action] = (counts[action] ?? 0) + 1;
    try {
      const auth = verifySigV4(request, body, secretFor);
      if (!auth.ok) throw new Ec2Failure(auth.code, auth.message, 401);
      const session = sessions.get(auth.accessKeyId);
      if (session && request.headers['x-amz-security-token'] !== session.token) throw new Ec2Failure('AuthFailure', 'The security token included in the request is invalid.', 401);
      signers.add(auth.accessKeyId);
      if (action === 'AssumeRole') return assumeRole(params, requestId, response);
      const fault = faults.take(action);
      if (fault && fault.kind !== 'lost_response') throw failureFor(fault.kind, fault.retryAfterSeconds);
      const run = actions[action];
      if (!run) throw new Ec2Failure('InvalidAction', `The action ${action} is not valid for this web service.`);
      const result = run(params, auth.region);
      if (fault?.kind === 'lost_response') return loseResponse(response);
      response.statusCode = 200;
      response.setHeader('content-type', 'text/xml;charset=UTF-8');
      response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({ [`${action}Response`]: { '@_xmlns': namespace, requestId, ...result } })}`);
    } catch (error) {
      if (!(error instanceof Ec2Failure)) throw error;
      response.statusCode = error.status;
      for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      response.setHeader('content-type', 'text/xml;charset=UTF-8');
      response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({ Response: { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId } })}`);
    }
  }

  /** STS AssumeRole (awsQuery, XML), for tenants that store a role ARN. */
  function assumeRole(params: URLSearchParams, requestId: string, response: ServerResponse) {
    const roleArn = params.get('RoleArn') ?? '';
    const role = options.roles?.[roleArn];
    const refuse = (message: string) => {
      response.statusCode = 403;
      response.setHeader('content-type', 'text/xml');
      response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({ ErrorResponse: { '@_xmlns': 'https://sts.amazonaws.com/doc/2011-06-15/', Error: { Type: 'Sender', Code: 'AccessDenied', Message: message }, RequestId: requestId } })}`);
    };
    if (!role) return refuse(`User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    if (role.externalId !== undefined && role.externalId !== params.get('ExternalId')) return refuse('The external id does not match');
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const session = { secret: randomBytes(30).toString('base64url'), token: randomBytes(48).toString('base64url'), roleArn };
    sessions.set(accessKeyId, session);
    const name = params.get('RoleSessionName') ?? 'session';
    response.statusCode = 200;
    response.setHeader('content-type', 'text/xml');
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({
        AssumeRoleResponse: {
          '@_xmlns': 'https://sts.amazonaws.com/doc/2011-06-15/',
          AssumeRoleResult: {
            Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: session.secret, SessionToken: session.token, Expiration: new Date(Date.now() + 3_600_000).toISOString() },
            AssumedRoleUser: { Arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${name}`, AssumedRoleId: `AROA${randomBytes(8).toString('hex').toUpperCase()}:${name}` },
          },
          ResponseMetadata: { RequestId: requestId },
        },
      })}`,
    );
  }

  const server = await listenLoopback(handle);
  return {
    url: server.url,
    faults,
    instances: () => all().map((instance) => ({ ...instance, tags: { ...instance.tags } })),
    alter: (instanceId, change) => {
      const instance = find(instanceId);
      instance.target = null;
      if (change.state) instance.state = change.state;
      if (change.instanceType) instance.instanceType = change.instanceType;
    },
    requestCounts: () => ({ ...counts }),
    signers: () => [...signers],
    sessionRole: (accessKeyId) => sessions.get(accessKeyId)?.roleArn,
    close: () => server.close(),
  };
}

function listParam(params: URLSearchParams, prefix: string): string[] {
  const values: string[] = [];
  for (let index = 1; params.has(`${prefix}.${index}`); index += 1) values.push(params.get(`${prefix}.${index}`)!);
  return values;
}

function stateXml(state: Ec2State) {
  return { code: stateCodes[state], name: state };
}

function instanceXml(instance: Ec2Instance) {
  const running = instance.state === 'running';
  if (running && !instance.publicIp) instance.publicIp = `198.51.100.${1 + (randomBytes(1)[0]! % 254)}`;
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateXml(instance.state),
    instanceType: instance.instanceType,
    launchTime: instance.launchTime.toISOString(),
    placement: { availabilityZone: `${instance.region}a` },
    ...(instance.state === 'terminated' ? {} : { privateIpAddress: instance.privateIp }),
    ...(running ? { ipAddress: instance.publicIp } : {}),
    clientToken: instance.clientToken,
    tagSet: { item: Object.entries(instance.tags).map(([key, value]) => ({ key, value })) },
  };
}

/** A repeatable value for a metric at a time: CPU in percent, byte counters in bytes per period. */
export function syntheticValue(instanceId: string, metric: string, t: number): number {
  const unit = createHash('sha256').update(`${instanceId}/${metric}/${t}`).digest().readUInt32BE(0) / 0xffffffff;
  return metric === 'CPUUtilization' ? Math.round(unit * 10_000) / 100 : Math.round(unit * 50_000_000);
}
