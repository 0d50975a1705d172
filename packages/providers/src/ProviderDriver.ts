/**
 * The one interface every cloud driver implements. The vms subgraph and its workers only ever talk
 * to a provider through it, so a simulated provider and a real cloud are interchangeable.
 */

/** NovaCron's provider-neutral instance states. Each driver maps its cloud's states onto these. */
export type ProviderInstanceState =
  | 'PENDING'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING'
  | 'STOPPED'
  | 'REBOOTING'
  | 'RESIZING'
  | 'DELETING'
  | 'DELETED'
  | 'ERROR';

/** An instance as the provider reports it. */
export interface ProviderInstance {
  /** The provider's own id (`i-0abc…`, a resource id, …). */
  providerId: string;
  name: string;
  region: string;
  instanceType: string;
  image: string;
  state: ProviderInstanceState;
  privateIp: string | null;
  publicIp: string | null;
  /** The idempotency token the instance was created with, when the provider records one. */
  clientToken: string | null;
  /** When a transitional state is expected to settle; a hint for how long to wait before polling. */
  settlesAt: Date | null;
  /**
   * True when `settlesAt` is when the transition settles (the simulated cloud decides it), not a poll
   * hint (the real drivers' 2 s): a worker may plan a write around it (executeOperation's deferStepEnd).
   */
  settlesAtKnown?: boolean;
  /** The instance's tags (labels on GCP) as the cloud reports them; real drivers fill this in, the reconciler reads it. */
  tags?: Record<string, string>;
}

/** What a caller asks the provider to create. */
export interface CreateInstanceRequest {
  /**
   * Provider-side idempotency token (EC2 ClientToken, GCE requestId, …). Creating twice with the
   * same token returns the first instance instead of making a second one.
   */
  clientToken: string;
  name: string;
  region: string;
  instanceType: string;
  image: string;
  labels: Record<string, string>;
  /** The NovaCron VM this instance backs; real drivers tag the instance with it. */
  vmId?: string;
  /** The tenant owning the VM; real drivers tag the instance with it. */
  tenantId?: string;
}

/** An instance type a provider offers in a region. */
export interface InstanceTypeInfo {
  name: string;
  vcpus: number;
  memoryGib: number;
  arch: string;
  gpuName: string | null;
  gpuCount: number;
}

/** A region and the instance types offered there. */
export interface RegionInfo {
  name: string;
  instanceTypes: InstanceTypeInfo[];
}

/** What a provider can and cannot do; the API exposes these so clients can plan. */
export interface ProviderCapabilities {
  /** True when the provider only resizes a stopped instance (EC2, GCE). */
  resizeRequiresStop: boolean;
  /** True when the provider honours a client idempotency token on create. */
  idempotentCreate: boolean;
  canReboot: boolean;
  /** Image names (or prefixes) the provider accepts. */
  images: string[];
}

/** A field-level problem found by {@link ProviderDriver.validate}. */
export interface ValidationProblem {
  /** `region`, `instanceType`, `image`, `name`. */
  field: string;
  message: string;
}

/** Everything a driver describes about itself. */
export interface ProviderDescription {
  name: string;
  displayName: string;
  /** True for providers that simulate a cloud; shown to users everywhere. */
  simulated: boolean;
  regions: RegionInfo[];
  capabilities: ProviderCapabilities;
}

/** The metric kinds every driver reports (percent 0–100, or bytes during the sample's interval). */
export type MetricKindName = 'CPU_PERCENT' | 'MEMORY_PERCENT' | 'NETWORK_IN_BYTES' | 'NETWORK_OUT_BYTES' | 'DISK_READ_BYTES' | 'DISK_WRITE_BYTES';

/** One instance whose samples {@link ProviderDriver.metrics} is asked for. */
export interface MetricsInstance {
  providerId: string;
  region: string;
  /** NovaCron's VM id, echoed back on every sample. */
  vmId: string;
  labels: Record<string, string>;
}

/** One sample a driver reports. */
export interface ProviderMetricSample {
  vmId: string;
  kind: MetricKindName;
  t: Date;
  value: number;
}

/** The driver interface. Every method may throw {@link ProviderError}. */
export interface ProviderDriver {
  readonly name: string;
  describe(): ProviderDescription;
  capabilities(): ProviderCapabilities;
  /** Checks a create/resize request against the provider's regions, types and images without side effects. */
  validate(spec: { region: string; instanceType: string; image?: string; name?: string }): ValidationProblem[];
  create(request: CreateInstanceRequest): Promise<ProviderInstance>;
  start(providerId: string): Promise<ProviderInstance>;
  stop(providerId: string): Promise<ProviderInstance>;
  reboot(providerId: string): Promise<ProviderInstance>;
  resize(providerId: string, instanceType: string): Promise<ProviderInstance>;
  delete(providerId: string): Promise<ProviderInstance>;
  /** The instance, or null when the provider has never heard of it. */
  get(providerId: string): Promise<ProviderInstance | null>;
  /** Finds the instance created with a client token, or null: used to adopt a create whose response was lost. */
  findByClientToken(clientToken: string, hint?: { region?: string }): Promise<ProviderInstance | null>;
  /** Live instances; `managedOnly` keeps those tagged managed-by=novacron (real drivers; the simulated cloud holds nothing else). */
  list(filter?: { region?: string; managedOnly?: boolean }): Promise<ProviderInstance[]>;
  /**
   * Samples of these instances with `from < t <= to` (CloudWatch, Azure Monitor, Cloud Monitoring;
   * simulated series for the simulated clouds). Nothing for an instance while it is not running.
   */
  metrics(request: { instances: { providerId: string; region: string; vmId: string; labels: Record<string, string> }[]; from: Date; to: Date }): Promise<{ vmId: string; kind: MetricKindName; t: Date; value: number }[]>;
}
