/**
 * The simulated cloud's state machine. One file on purpose: the transition table, lazy settlement,
 * capacity and idempotency rules only make sense read together.
 *
 * All state lives in `simcloud.instances`; there is no timer and no in-memory state. An action moves
 * an instance into a transitional state with `settles_at` in the future; every later action (and
 * `list`) first settles the rows whose `settles_at` has passed (one `update … returning`), and a read
 * (`get`, `findByClientToken`) reports a due transition as settled without writing it. So a process
 * can be SIGKILLed at any point and the next caller, in any process, sees the truth.
 */
import type postgres from 'postgres';
import type { Catalog } from '@novacron/catalog';
import { loadCatalog } from '@novacron/catalog';
import type { Sql } from '@novacron/db';
import type {
  CreateInstanceRequest,
  ProviderCapabilities,
  ProviderDescription,
  ProviderDriver,
  ProviderInstance,
  ProviderInstanceState,
  RegionInfo,
  ValidationProblem,
} from '../ProviderDriver.ts';
import { managedTags } from '../cloud/managedTags.ts';
import { ProviderError } from '../ProviderError.ts';
import { consumeFault, consumeFaultSql, faultError, type ConsumedFault, type FaultTarget } from './consumeFault.ts';
import type { SimulatedFaultAction } from './SimulatedFault.ts';
import { instanceColumns, toProviderInstance, type SimulatedInstanceRow } from './SimulatedInstanceRow.ts';
import { settleAssignments, settledInstanceColumns } from './settleTransitions.ts';
import { simulatedFlavours, simulatedImages, type SimulatedProviderName } from './simulatedFlavours.ts';
import { readSimulatedMetrics } from './simulatedMetrics.ts';

/** Options for {@link createSimulatedDriver}. */
export interface SimulatedDriverOptions {
  /** Which cloud to imitate; also the driver's name. */
  provider: SimulatedProviderName;
  /** The database holding the `simcloud` schema (see `migrateSimulatedCloud`). */
  sql: Sql;
  /** How long each transitional state lasts, drawn uniformly per action; `{ min: 0, max: 0 }` settles at once. */
  latencyMs: { min: number; max: number };
  /** The most instances that are not DELETED one provider holds in one region. */
  capacityPerRegion: number;
  /** Regions and instance types to offer; the shipped price catalog by default. */
  catalog?: Catalog;
  /** How often the simulated metrics sample (a minute by default; tests use less). */
  metricsIntervalMs?: number;
}

type SettledState = 'RUNNING' | 'STOPPED' | 'DELETED';
type Queryable = Sql | postgres.TransactionSql;

/** Simple transitions: allowed source states, the transitional state, and where it settles. */
const transitions: Record<'start' | 'stop' | 'reboot' | 'delete', { from: ProviderInstanceState[]; via: ProviderInstanceState; to: SettledState; verb: string }> = {
  start: { from: ['STOPPED'], via: 'STARTING', to: 'RUNNING', verb: 'started' },
  stop: { from: ['RUNNING'], via: 'STOPPING', to: 'STOPPED', verb: 'stopped' },
  reboot: { from: ['RUNNING'], via: 'REBOOTING', to: 'RUNNING', verb: 'rebooted' },
  // Like real clouds, an instance can be deleted mid-transition; only a deletion already under way is refused.
  delete: {
    from: ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'ERROR'],
    via: 'DELETING',
    to: 'DELETED',
    verb: 'deleted',
  },
};

/** The fault a call used up, as the read statements return it beside the instance. */
interface FaultColumns {
  fault_kind: ConsumedFault['kind'] | null;
  fault_code: string | null;
  fault_message: string | null;
}

/**
 * One instance by `provider_id` or `client_token` ($1 the provider, $2 the key): a `get` fault is
 * taken first, then (unless that fault replaces the call) the instance is read, a due transition
 * reported as settled. Always one row: fault columns and instance columns, each null when absent.
 */
const readInstanceStatement = (column: 'provider_id' | 'client_token') => `
with fault as (${consumeFaultSql({
  provider: '$1',
  action: "'get'",
  region: 'null',
  providerId: column === 'provider_id' ? '$2' : 'null',
  clientToken: column === 'client_token' ? '$2' : 'null',
})}
)
select fault.kind as fault_kind, fault.code as fault_code, fault.message as fault_message, instance.*
from (select 1) as one
left join fault on true
left join lateral (
  select ${settledInstanceColumns} from simcloud.instances
  where provider = $1 and ${column} = $2
    and not exists (select 1 from fault where kind <> 'lost_response')
) as instance on true`;

/** The fault in a row of the statements above, if the call used one up. */
function faultOf(row: FaultColumns | undefined): ConsumedFault | undefined {
  return row?.fault_kind ? { kind: row.fault_kind, code: row.fault_code, message: row.fault_message } : undefined;
}

/**
 * An unlocked create ($1 provider, $2 region, $3 provider id, $4 instance type, $5 image, $6 name,
 * $7 labels as JSON text, $8 latency ms, $9 client token, $10 capacity less the margin): the call's
 * fault first, then the insert unless that fault replaces the call. Always one row, as readInstanceStatement.
 */
const createUnlockedStatement = `
with fault as (${consumeFaultSql({ provider: '$1', action: "'create'", region: '$2', providerId: 'null', clientToken: 'null' })}
), inserted as (
  insert into simcloud.instances (provider_id, provider, region, instance_type, image, name, labels, state, target_state, settles_at, client_token)
  select $3, $1, $2, $4, $5, $6, $7::text::jsonb, 'PENDING', 'RUNNING', now() + $8::double precision * interval '1 millisecond', $9
  where not exists (select 1 from fault where kind <> 'lost_response')
    and case
      -- The table's live-tuple count (statistics, behind by well under the margin) bounds the region's
      -- instances from above: far below capacity, the O(n) count of the region is not needed.
      when pg_stat_get_live_tuples('simcloud.instances'::regclass) < $10::int then true
      else simcloud.live_in_region($1, $2) < $10::int
    end
  on conflict (provider, client_token) do nothing
  returning ${instanceColumns}
)
select fault.kind as fault_kind, fault.code as fault_code, fault.message as fault_message, inserted.*
from (select 1) as one
left join fault on true
left join inserted on true`;

const readInstanceStatements = { providerId: readInstanceStatement('provider_id'), clientToken: readInstanceStatement('client_token') };

/**
 * A {@link ProviderDriver} for a simulated aws, azure or gcp whose instances are rows in Postgres.
 * Regions and instance types come from the price catalog; `describe().simulated` is true.
 */
export function createSimulatedDriver(options: SimulatedDriverOptions): ProviderDriver {
  const flavour = simulatedFlavours[options.provider];
  if (!flavour) throw new RangeError(`no simulated provider named "${options.provider}"`);
  const { min, max } = options.latencyMs;
  if (!(min >= 0 && max >= min)) throw new RangeError(`latencyMs needs 0 <= min <= max, got ${min}..${max}`);
  if (!Number.isInteger(options.capacityPerRegion) || options.capacityPerRegion < 0) {
    throw new RangeError(`capacityPerRegion must be a non-negative integer, got ${options.capacityPerRegion}`);
  }
  const { sql, capacityPerRegion } = options;
  const provider = flavour.name;
  const catalog = options.catalog ?? loadCatalog();
  const regionNames = new Set(catalog.regionsOf(provider));
  const typeNames = new Set(catalog.entries.filter((entry) => entry.provider === provider).map((entry) => entry.instanceType));

  const capabilities: ProviderCapabilities = Object.freeze({
    resizeRequiresStop: flavour.resizeRequiresStop,
    idempotentCreate: true,
    canReboot: true,
    images: [...simulatedImages],
  });
  const regions: RegionInfo[] = [...regionNames].map((region) => ({
    name: region,
    instanceTypes: catalog.instanceTypesIn(provider, region).map((entry) => ({
      name: entry.instanceType,
      vcpus: entry.vcpus,
      memoryGib: entry.memoryGib,
      arch: entry.arch,
      gpuName: entry.gpuName,
      gpuCount: entry.gpuCount,
    })),
  }));
  const description: ProviderDescription = deepFreeze({ name: provider, displayName: flavour.displayName, simulated: true, regions, capabilities });

  /** More creates than this in flight in one region could overshoot its capacity on the unlocked path. */
  const unlockedCreateMargin = 1_000;
  const permanent = (code: string, message: string) => new ProviderError(code, message, { transient: false });
  const notFound = (providerId: string) => permanent(flavour.errorCodes.notFound, `${flavour.displayName}: instance '${providerId}' does not exist`);
  const drawLatencyMs = () => min + Math.random() * (max - min);

  /** Settles the due rows in a scope and returns them as they are now. */
  async function settle(db: Queryable, scope: { providerId?: string; clientToken?: string; region?: string }): Promise<SimulatedInstanceRow[]> {
    return db<SimulatedInstanceRow[]>`
      update simcloud.instances set ${db.unsafe(settleAssignments)}
      where provider = ${provider}
        and settles_at <= now()
        ${scope.providerId === undefined ? db`` : db`and provider_id = ${scope.providerId}`}
        ${scope.clientToken === undefined ? db`` : db`and client_token = ${scope.clientToken}`}
        ${scope.region === undefined ? db`` : db`and region = ${scope.region}`}
      returning ${db.unsafe(instanceColumns)}`;
  }

  /**
   * A `get` or `findByClientToken` in one prepared statement: the fault check, the settlement of the
   * instance and its read were three round trips on every call, most of the simulated cloud's share
   * of an executed create (docs/benchmarks.md, "Worker: cheaper executed creates"); a due transition
   * is reported settled, not written. Same order as {@link withFaults}: a fault other than a lost
   * response replaces the call.
   */
  async function readInstance(key: keyof typeof readInstanceStatements, value: string): Promise<ProviderInstance | null> {
    const [row] = await sql.unsafe<(Partial<SimulatedInstanceRow> & FaultColumns)[]>(readInstanceStatements[key], [provider, value], { prepare: true });
    const fault = faultOf(row);
    if (fault && fault.kind !== 'lost_response') throw faultError(fault, 'get');
    const instance = row?.provider_id === undefined || row.provider_id === null ? null : toProviderInstance(row as SimulatedInstanceRow);
    if (fault) throw faultError(fault, 'get');
    return instance;
  }

  /** Reads one instance after settling it. */
  async function current(providerId: string): Promise<SimulatedInstanceRow | undefined> {
    const [settled] = await settle(sql, { providerId });
    if (settled) return settled;
    const [row] = await sql<SimulatedInstanceRow[]>`select ${sql.unsafe(instanceColumns)} from simcloud.instances where provider = ${provider} and provider_id = ${providerId}`;
    return row;
  }

  /** A row that was just given a transitional state: settle it at once when its latency was zero. */
  async function afterTransition(row: SimulatedInstanceRow, latencyMs: number): Promise<ProviderInstance> {
    if (latencyMs > 0) return toProviderInstance(row);
    const [settled] = await settle(sql, { providerId: row.provider_id });
    return toProviderInstance(settled ?? row);
  }

  /** Runs a call behind the fault injector: faults either replace the call or (lost_response) follow it. */
  async function withFaults<T>(action: Exclude<SimulatedFaultAction, '*'>, target: FaultTarget, call: () => Promise<T>): Promise<T> {
    const fault = await consumeFault(sql, provider, action, target);
    if (fault && fault.kind !== 'lost_response') throw faultError(fault, action);
    const result = await call();
    if (fault) throw faultError(fault, action);
    return result;
  }

  /** Why an action matched no row: the instance is unknown, or in the wrong state. */
  async function refusal(providerId: string, verb: string, requiredState?: string): Promise<ProviderError> {
    const row = await current(providerId);
    if (!row) return notFound(providerId);
    const reason = requiredState
      ? `is not in the '${requiredState}' state (current state: ${row.state})`
      : `is not in a state from which it can be ${verb} (current state: ${row.state})`;
    return permanent(flavour.errorCodes.incorrectState, `${flavour.displayName}: instance '${providerId}' ${reason}`);
  }

  async function transition(action: keyof typeof transitions, providerId: string): Promise<ProviderInstance> {
    return withFaults(action, { providerId }, async () => {
      const step = transitions[action];
      const latencyMs = drawLatencyMs();
      await settle(sql, { providerId });
      const [row] = await sql<SimulatedInstanceRow[]>`
        update simcloud.instances
        set state = ${step.via}, target_state = ${step.to}, settles_at = now() + ${latencyMs}::double precision * interval '1 millisecond', updated_at = now()
        where provider = ${provider} and provider_id = ${providerId} and state in ${sql(step.from)}
        returning ${sql.unsafe(instanceColumns)}`;
      if (!row) throw await refusal(providerId, step.verb);
      return afterTransition(row, latencyMs);
    });
  }

  function validate(spec: { region: string; instanceType: string; image?: string; name?: string }): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    if (!regionNames.has(spec.region)) {
      problems.push({ field: 'region', message: `${provider} has no region "${spec.region}"` });
    }
    if (!typeNames.has(spec.instanceType)) {
      problems.push({ field: 'instanceType', message: `${provider} has no instance type "${spec.instanceType}"` });
    } else if (regionNames.has(spec.region) && !catalog.find(provider, spec.region, spec.instanceType)) {
      problems.push({ field: 'instanceType', message: `${provider} does not offer "${spec.instanceType}" in ${spec.region}` });
    }
    if (spec.image !== undefined && !simulatedImages.includes(spec.image)) {
      problems.push({ field: 'image', message: `${provider} has no image "${spec.image}"; choose one of ${simulatedImages.join(', ')}` });
    }
    if (spec.name !== undefined && spec.name.trim() === '') {
      problems.push({ field: 'name', message: 'name must not be empty' });
    }
    return problems;
  }

  /** The columns and values of a new instance row (the locked path; the unlocked one is createUnlockedStatement). */
  function newInstanceValues(db: Queryable, request: CreateInstanceRequest, latencyMs: number) {
    return db`
      ${flavour.newProviderId(request.name)}, ${provider}, ${request.region}, ${request.instanceType}, ${request.image}, ${request.name},
      ${JSON.stringify(simulatedTags(request))}::jsonb, 'PENDING', 'RUNNING', now() + ${latencyMs}::double precision * interval '1 millisecond', ${request.clientToken}`;
  }

  /*
   * Creates far below the region's capacity take one statement and no lock: creates used to be
   * serialised per provider+region by an advisory lock (six round trips each, queued behind one
   * another), which capped a region at a few hundred creates a second and cost the worker's
   * Postgres most of a create's CPU. The statement takes the call's fault first (one round trip
   * fewer). A region within `unlockedCreateMargin` of its capacity takes the locked path, so
   * concurrent creates (fewer than the margin in flight) never overshoot it. Returns the fault the
   * call used up and the new row, or no row when the token exists (a retried create; the unique
   * index waited for a concurrent one), the region is nearly full, or the fault replaced the call.
   */
  async function createUnlocked(request: CreateInstanceRequest, latencyMs: number): Promise<{ fault: ConsumedFault | undefined; inserted: SimulatedInstanceRow | null }> {
    const [row] = await sql.unsafe<(Partial<SimulatedInstanceRow> & FaultColumns)[]>(
      createUnlockedStatement,
      [
        provider,
        request.region,
        flavour.newProviderId(request.name),
        request.instanceType,
        request.image,
        request.name,
        JSON.stringify(simulatedTags(request)),
        latencyMs,
        request.clientToken,
        capacityPerRegion - unlockedCreateMargin,
      ],
      { prepare: true },
    );
    return { fault: faultOf(row), inserted: row?.provider_id ? (row as SimulatedInstanceRow) : null };
  }

  /** The instance a create returns: a new one settles at once when its latency is zero; an existing one as it is now. */
  async function createdInstance({ row, created }: { row: SimulatedInstanceRow; created: boolean }, latencyMs: number): Promise<ProviderInstance> {
    if (created) return afterTransition(row, latencyMs);
    return toProviderInstance((await current(row.provider_id)) ?? row);
  }

  /** After an unlocked create inserted nothing: the instance the token already has, else the exact, locked path. */
  async function existingOrLocked(request: CreateInstanceRequest, latencyMs: number): Promise<{ row: SimulatedInstanceRow; created: boolean }> {
    const [existing] = await sql<SimulatedInstanceRow[]>`
      select ${sql.unsafe(instanceColumns)} from simcloud.instances where provider = ${provider} and client_token = ${request.clientToken}`;
    return existing ? { row: existing, created: false } : createLocked(request, latencyMs);
  }

  /** The exact path near capacity: the count and the insert are one decision under a per-region lock. */
  async function createLocked(request: CreateInstanceRequest, latencyMs: number): Promise<{ row: SimulatedInstanceRow; created: boolean }> {
    return sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${`simcloud:create:${provider}:${request.region}`}))`;
      const [existing] = await tx<SimulatedInstanceRow[]>`
        select ${tx.unsafe(instanceColumns)} from simcloud.instances where provider = ${provider} and client_token = ${request.clientToken}`;
      if (existing) return { row: existing, created: false };
      const [{ count: live } = { count: 0 }] = await tx.unsafe<{ count: number }[]>('select simcloud.live_in_region($1, $2) as count', [provider, request.region], { prepare: true });
      if (live >= capacityPerRegion) {
        throw new ProviderError(
          'InsufficientInstanceCapacity',
          `${flavour.displayName}: insufficient capacity in ${request.region} for ${request.instanceType} (${live} of ${capacityPerRegion} in use)`,
          { transient: false, code: 'PROVIDER_CAPACITY' },
        );
      }
      const [inserted] = await tx<SimulatedInstanceRow[]>`
        insert into simcloud.instances (provider_id, provider, region, instance_type, image, name, labels, state, target_state, settles_at, client_token)
        values (${newInstanceValues(tx, request, latencyMs)})
        on conflict (provider, client_token) do nothing
        returning ${tx.unsafe(instanceColumns)}`;
      if (inserted) return { row: inserted, created: true };
      // The same token raced in from another region's lock; the unique index kept one, return it.
      const [winner] = await tx<SimulatedInstanceRow[]>`
        select ${tx.unsafe(instanceColumns)} from simcloud.instances where provider = ${provider} and client_token = ${request.clientToken}`;
      return { row: winner!, created: false };
    });
  }

  async function create(request: CreateInstanceRequest): Promise<ProviderInstance> {
    const problems = validate(request);
    if (request.clientToken === '') problems.push({ field: 'clientToken', message: 'clientToken must not be empty' });
    if (problems.length > 0 || capacityPerRegion <= unlockedCreateMargin) {
      return withFaults('create', { region: request.region }, async () => {
        if (problems.length > 0) {
          throw permanent(flavour.errorCodes.invalidParameter, problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
        }
        const latencyMs = drawLatencyMs();
        return createdInstance(await createLocked(request, latencyMs), latencyMs);
      });
    }
    // As withFaults, in the create's own statement: a fault other than a lost response replaces the call.
    const latencyMs = drawLatencyMs();
    const { fault, inserted } = await createUnlocked(request, latencyMs);
    if (fault && fault.kind !== 'lost_response') throw faultError(fault, 'create');
    const instance = await createdInstance(inserted ? { row: inserted, created: true } : await existingOrLocked(request, latencyMs), latencyMs);
    if (fault) throw faultError(fault, 'create');
    return instance;
  }

  async function resize(providerId: string, instanceType: string): Promise<ProviderInstance> {
    return withFaults('resize', { providerId }, async () => {
      const before = await current(providerId);
      if (!before) throw notFound(providerId);
      if (!catalog.find(provider, before.region, instanceType)) {
        throw permanent(flavour.errorCodes.invalidParameter, `${flavour.displayName}: instance type "${instanceType}" is not offered in ${before.region}`);
      }
      const from: ProviderInstanceState[] = flavour.resizeRequiresStop ? ['STOPPED'] : ['RUNNING', 'STOPPED'];
      const latencyMs = drawLatencyMs();
      // `target_state = state` reads the state before this update: a resize settles back where it began.
      const [row] = await sql<SimulatedInstanceRow[]>`
        update simcloud.instances
        set state = 'RESIZING', target_state = state, instance_type = ${instanceType},
            settles_at = now() + ${latencyMs}::double precision * interval '1 millisecond', updated_at = now()
        where provider = ${provider} and provider_id = ${providerId} and state in ${sql(from)}
        returning ${sql.unsafe(instanceColumns)}`;
      if (!row) throw await refusal(providerId, 'resized', flavour.resizeRequiresStop ? 'stopped' : undefined);
      return afterTransition(row, latencyMs);
    });
  }

  return {
    name: provider,
    describe: () => description,
    capabilities: () => capabilities,
    validate,
    create,
    start: (providerId) => transition('start', providerId),
    stop: (providerId) => transition('stop', providerId),
    reboot: (providerId) => transition('reboot', providerId),
    resize,
    delete: (providerId) => transition('delete', providerId),
    get: (providerId) => readInstance('providerId', providerId),
    findByClientToken: (clientToken) => readInstance('clientToken', clientToken),
    list: (filter = {}) =>
      withFaults('get', { region: filter.region ?? null }, async () => {
        await settle(sql, filter.region === undefined ? {} : { region: filter.region });
        const rows = await sql<SimulatedInstanceRow[]>`
          select ${sql.unsafe(instanceColumns)} from simcloud.instances
          where provider = ${provider} and state <> 'DELETED'
            ${filter.region === undefined ? sql`` : sql`and region = ${filter.region}`}
          order by created_at, provider_id`;
        return rows.map(toProviderInstance);
      }),
    metrics: (request) => readSimulatedMetrics(sql, provider, request, options.metricsIntervalMs),
  };
}

/** Freezes a description all the way down, so no caller can change what every other caller sees. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The labels a simulated instance carries: the request's, plus the managed tags real drivers set, so the reconciler can tie it to its tenant and VM. */
function simulatedTags(request: CreateInstanceRequest): Record<string, string> {
  if (!request.vmId) return { ...request.labels };
  return {
    ...request.labels,
    [managedTags.managedBy]: managedTags.managedByValue,
    [managedTags.vmId]: request.vmId,
    ...(request.tenantId ? { [managedTags.tenant]: request.tenantId } : {}),
  };
}
