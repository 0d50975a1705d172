import { sql } from 'drizzle-orm';
import type { SqlExecutor } from '@novacron/subgraph-kit';
import type { VmEvent } from './VmEvent.ts';
import type { VmColumns } from './vmDirectory.ts';

/** A VM's row after a page: the first applied event's tenant and creation, the last one's state. */
interface VmRow extends VmColumns {
  /** The last provider id the page's events named (null: keep the stored one). */
  provider_id: string | null;
  version: number;
  created_at: string;
  /** The page's first deletion (a stored one wins). */
  deleted_at: string | null;
  updated_at: string;
}

/** A running interval the page opened (and maybe closed again). */
interface OpenedInterval {
  vm_id: string;
  started_at: string;
  stopped_at: string | null;
}

/** What one page writes: the VM rows, the intervals it opens, and when it stops the stored open ones. */
interface PageWrites {
  rows: VmRow[];
  opened: OpenedInterval[];
  /** Intervals still open after the page, of VMs whose stored open interval the page stopped. */
  reopened: OpenedInterval[];
  stopped: { vm_id: string; stopped_at: string }[];
}

/**
 * The metrics subgraph's projection of the vms VM stream: which VMs exist, their tenant, provider,
 * region, labels and provider id, and when they were RUNNING. It is the kit stream follower's
 * `apply(tx, events)`, run in the transaction that also advances the follower's cursor. Idempotent:
 * an event at or below the stored version changes nothing, so a replay or a rebuild from cursor zero
 * gives the same projection. Never reads the vms subgraph's tables.
 *
 * A page costs two statements whatever its size (one read of the stored versions and open intervals,
 * one write of JSON sets; a third when a VM stops and runs again within the page) with the outcome of
 * applying its events one by one: that was up to three statements per event, and a quarter of the
 * follower's CPU was garbage from building them (docs/benchmarks.md).
 */
export async function applyVmEvents(tx: SqlExecutor, events: readonly VmEvent[]): Promise<void> {
  if (events.length === 0) return;
  const ids = `{${[...new Set(events.map((event) => event.entityId))].join(',')}}`;
  // Per VM of the page: its stored version (null: not projected yet) and whether an interval is open.
  const stored = (await tx.execute(sql`
    select page.vm_id, vm.version, exists (select 1 from metrics.vm_running_intervals as running where running.vm_id = page.vm_id and running.stopped_at is null) as running
    from unnest(${ids}::uuid[]) as page(vm_id) left join metrics.vms as vm on vm.vm_id = page.vm_id`)) as { vm_id: string; version: number | null; running: boolean }[];
  const writes = pageWrites(events, new Map(stored.map((row) => [row.vm_id, row])));
  if (writes.rows.length === 0) return;
  await tx.execute(sql`
    with upserted as (
      insert into metrics.vms (vm_id, tenant_id, name, provider, region, status, provider_id, labels, version, created_at, deleted_at, updated_at)
      select vm_id, tenant_id, name, provider, region, status, provider_id, labels, version, created_at, deleted_at, updated_at
      from jsonb_to_recordset(${JSON.stringify(writes.rows)}::jsonb) as r(vm_id uuid, tenant_id text, name text, provider text, region text,
        status text, provider_id text, labels jsonb, version integer, created_at timestamptz, deleted_at timestamptz, updated_at timestamptz)
      on conflict (vm_id) do update set
        name = excluded.name, provider = excluded.provider, region = excluded.region, status = excluded.status,
        provider_id = coalesce(excluded.provider_id, metrics.vms.provider_id), labels = excluded.labels,
        version = excluded.version, deleted_at = coalesce(metrics.vms.deleted_at, excluded.deleted_at), updated_at = excluded.updated_at
      where metrics.vms.version < excluded.version
    ), stopped as (
      update metrics.vm_running_intervals as running set stopped_at = greatest(running.started_at, stop.stopped_at)
      from jsonb_to_recordset(${JSON.stringify(writes.stopped)}::jsonb) as stop(vm_id uuid, stopped_at timestamptz)
      where running.vm_id = stop.vm_id and running.stopped_at is null
    )
    ${insertIntervalsSql(writes.opened)}`);
  // Only one interval of a VM may be open: one that replaces an open interval stopped above goes in after it.
  if (writes.reopened.length > 0) await tx.execute(insertIntervalsSql(writes.reopened));
}

/** Inserts running intervals; one closed within its page is closed no earlier than it started. */
function insertIntervalsSql(intervals: OpenedInterval[]) {
  return sql`
    insert into metrics.vm_running_intervals (vm_id, started_at, stopped_at)
    select vm_id, started_at, case when stopped_at is null then null else greatest(started_at, stopped_at) end
    from jsonb_to_recordset(${JSON.stringify(intervals)}::jsonb) as opened(vm_id uuid, started_at timestamptz, stopped_at timestamptz)`;
}

/**
 * Replays a page in order against what is stored, as one statement per event would have: an event
 * applies when it is newer than the VM's version so far; RUNNING opens an interval unless one is open,
 * any other status closes the open one.
 */
function pageWrites(events: readonly VmEvent[], stored: Map<string, { version: number | null; running: boolean }>): PageWrites {
  const rows = new Map<string, VmRow>();
  const running = new Map<string, { storedOpen: boolean; opened: OpenedInterval | null }>();
  const writes: PageWrites = { rows: [], opened: [], reopened: [], stopped: [] };
  const opened: OpenedInterval[] = [];
  for (const event of events) {
    const vm = event.payload;
    const before = rows.get(event.entityId);
    const version = before?.version ?? stored.get(event.entityId)?.version ?? null;
    if (version !== null && version >= event.version) continue;
    const deletedAt = event.type === 'DELETED' || vm.status === 'DELETED' ? event.occurredAt : null;
    rows.set(event.entityId, {
      vm_id: event.entityId,
      tenant_id: before?.tenant_id ?? event.tenantId,
      name: vm.name,
      provider: vm.provider,
      region: vm.region,
      status: vm.status,
      provider_id: vm.providerId ?? before?.provider_id ?? null,
      labels: vm.labels ?? {},
      version: event.version,
      created_at: before?.created_at ?? vm.createdAt,
      deleted_at: before?.deleted_at ?? deletedAt,
      updated_at: event.occurredAt,
    });
    let state = running.get(event.entityId);
    if (!state) running.set(event.entityId, (state = { storedOpen: stored.get(event.entityId)?.running ?? false, opened: null }));
    if (vm.status === 'RUNNING') {
      if (state.storedOpen || state.opened) continue;
      state.opened = { vm_id: event.entityId, started_at: event.occurredAt, stopped_at: null };
      opened.push(state.opened);
    } else if (state.opened) {
      state.opened.stopped_at = event.occurredAt;
      state.opened = null;
    } else if (state.storedOpen) {
      writes.stopped.push({ vm_id: event.entityId, stopped_at: event.occurredAt });
      state.storedOpen = false;
    }
  }
  writes.rows = [...rows.values()];
  const stoppedStored = new Set(writes.stopped.map((stop) => stop.vm_id));
  for (const interval of opened) (interval.stopped_at === null && stoppedStored.has(interval.vm_id) ? writes.reopened : writes.opened).push(interval);
  return writes;
}
