/**
 * The subscription root fields the gateway serves, each backed by a subgraph's event stream. A later
 * subgraph adds its live streams (metrics samples, budget alerts) by adding an entry here, an event
 * stream with `_eventFeed` and a payload query field in its own SDL.
 */
import type { Identity } from '@novacron/auth';
import { appError } from '@novacron/errors';
import type { FeedEntry } from './fetchEventFeed.ts';

/** What the engine knows about a subscriber when routing events and resolving payloads. */
export interface SubscriberScope {
  tenantId: string;
  /** The verified caller; payloads are resolved under this identity. */
  identity: Identity;
  /** Tenant and roles: subscriptions share an execution only within one authorization scope. */
  scopeKey: string;
}

/** How a subscription root field maps onto an event stream. */
export interface SubscriptionSource {
  /** The subscription root field (`vmEvents`). */
  field: string;
  /** The owning subgraph. */
  subgraph: string;
  /** The stream's short name in that subgraph's `_eventFeed` (`vm`). */
  stream: string;
  /** The query root field that resolves one event's payload by cursor (`vmEventAt`). */
  payloadField: string;
  /** Validates and normalizes the field's arguments. */
  parseArgs(args: Record<string, unknown>): Record<string, unknown>;
  /** Where replay starts: a cursor, `entity` (all events of one entity), or none (live only). */
  replay(args: Record<string, unknown>): { after: string } | { entityId: string; onlyLatest: boolean } | null;
  /** Whether an event concerns this subscriber (the tenant is checked before). */
  matches(entry: FeedEntry, args: Record<string, unknown>): boolean;
  /**
   * The entity ids (VM or operation) whose events alone can match, so routing looks only at the
   * subscribers of an event's entities; null when any entity may match (an unfiltered stream).
   */
  routingKeys(args: Record<string, unknown>): string[] | null;
  /** True when the subscription ends after delivering this event. */
  completesAfter(entry: FeedEntry): boolean;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface VmEventFilter {
  ids?: string[] | null;
  labels?: { key: string; value?: string | null }[] | null;
  provider?: string | null;
  region?: string | null;
}

const vmEvents: SubscriptionSource = {
  field: 'vmEvents',
  subgraph: 'vms',
  stream: 'vm',
  payloadField: 'vmEventAt',
  parseArgs(args) {
    const filter = (args.filter ?? {}) as VmEventFilter;
    for (const [index, id] of (filter.ids ?? []).entries()) {
      if (!uuidPattern.test(id)) throw appError('BAD_USER_INPUT', `filter.ids.${index} is not a valid id`, { field: `filter.ids.${index}` });
    }
    if ((filter.ids?.length ?? 0) > 1_000) throw appError('BAD_USER_INPUT', 'filter.ids may name at most 1000 VMs', { field: 'filter.ids' });
    return { filter: { ...filter, ids: filter.ids?.map((id) => id.toLowerCase()) ?? null }, after: args.after ?? null };
  },
  replay: (args) => (typeof args.after === 'string' ? { after: args.after } : null),
  matches(entry, args) {
    const filter = args.filter as VmEventFilter;
    if (filter.ids && filter.ids.length > 0 && !filter.ids.includes(entry.vmId)) return false;
    if (filter.provider && entry.provider !== filter.provider) return false;
    if (filter.region && entry.region !== filter.region) return false;
    for (const selector of filter.labels ?? []) {
      const value = entry.labels?.[selector.key];
      if (value === undefined || (selector.value !== null && selector.value !== undefined && value !== selector.value)) return false;
    }
    return true;
  },
  routingKeys: (args) => {
    const ids = (args.filter as VmEventFilter).ids;
    return ids && ids.length > 0 ? ids : null;
  },
  completesAfter: () => false,
};

const operationUpdated: SubscriptionSource = {
  field: 'operationUpdated',
  subgraph: 'vms',
  stream: 'operation',
  payloadField: 'operationAt',
  parseArgs(args) {
    const id = String(args.id);
    if (!uuidPattern.test(id)) throw appError('BAD_USER_INPUT', 'id is not a valid id', { field: 'id' });
    return { id: id.toLowerCase() };
  },
  replay: (args) => ({ entityId: String(args.id), onlyLatest: true }),
  matches: (entry, args) => entry.entityId === args.id,
  routingKeys: (args) => [String(args.id)],
  completesAfter: (entry) => entry.terminal,
};

/** Every subscription root field, by name. */
export const subscriptionSources: ReadonlyMap<string, SubscriptionSource> = new Map([vmEvents, operationUpdated].map((source) => [source.field, source]));
