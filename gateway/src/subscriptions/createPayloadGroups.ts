import type { DocumentNode, ExecutionResult } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SubscriberScope } from './readStreamDeclarations.ts';
import { printOnce } from './printOnce.ts';
import { cursorVariable } from './rewriteToPayloadQuery.ts';

/** Runs a payload query through the gateway under a subscriber's identity. */
export type PayloadExecutor = (document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope) => Promise<ExecutionResult>;

/** Subscribers with the same payload document, variables and authorization scope. */
export interface PayloadGroup {
  readonly key: string;
  /** The event's payload for this group, executed once however many members it has; null: not for them. */
  resolve(cursor: string): Promise<ExecutionResult | null>;
}

/** The groups of one engine. */
export interface PayloadGroups {
  /** Adds a member (its scope) to the group of identical subscriptions, creating the group if needed. */
  join(document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope): PayloadGroup;
  /** Removes one membership of `scope`; the group ends with its last member. */
  leave(group: PayloadGroup, scope: SubscriberScope): void;
  /**
   * The subscribe-time check (the payload query with an empty cursor: the owning subgraph checks the
   * caller and the arguments), shared by identical subscriptions whose checks are in flight together,
   * and a passed one remembered for a while ({@link passedProbes}).
   */
  probe(document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope): Promise<ExecutionResult>;
  /** How many groups exist, how many payload executions ran, how many results are kept for sharing, and how many probes ran, were joined in flight or answered from memory. */
  stats(): { groups: number; payloadExecutions: number; cachedResults: number; probes: number; probesJoined: number; probesRemembered: number };
}

/**
 * Recent results kept for sharing, over all groups together (at 100 events/s, the last ~40 s). They
 * were 256 per group: 200 groups (one per VM filter) held 51,200 results, +49 MB of retained heap
 * after a 10-minute soak, and distinct filters would multiply it without bound.
 */
const sharedResults = 4_096;

/**
 * Passed probes remembered, by group key. A payload field answers an empty cursor from the caller's
 * roles and the subscription's arguments alone (the subgraph kit's `streamPayload` contract: authorize,
 * parse the arguments, return null; whether an entity exists is answered by the replay's feed read),
 * so an identical subscription of the same tenant and roles passes again: 10,000 dashboard subscribers
 * over 200 filters ran 10,000 federated queries while connecting, and their garbage grew the heap.
 * Refusals and failures (UNAVAILABLE while a subgraph is down) are never remembered; the TTL bounds
 * how long a changed authorization rule (a redeploy) takes to apply.
 */
const passedProbes = { max: 2_000, ttlMs: 60_000 } as const;

/**
 * Shares one payload execution per event among identical subscriptions (document, variables, tenant
 * and roles): what makes thousands of dashboard subscribers cheap. Each execution runs under the
 * identity of a current member whose token lives longest, never under the group's founder: a member
 * that leaves or whose token expires must not break the others (it once did: every event answered
 * "invalid internal token" after the first subscriber's token expired).
 */
export function createPayloadGroups(execute: PayloadExecutor): PayloadGroups {
  const groups = new Map<string, PayloadGroup & { members: Map<SubscriberScope, number> }>();
  // The last events' results by group and cursor, so members that read an event at slightly different times share it.
  const results = new LRUCache<string, Promise<ExecutionResult | null>>({ max: sharedResults });
  // Probes in flight by group key; each is forgotten once answered, so a later subscriber is checked afresh.
  const probing = new Map<string, Promise<ExecutionResult>>();
  const passed = new LRUCache<string, ExecutionResult>({ max: passedProbes.max, ttl: passedProbes.ttlMs });
  let payloadExecutions = 0;
  let probes = 0;
  let probesJoined = 0;
  let probesRemembered = 0;
  return {
    probe(document, variables, scope) {
      const key = groupKey(document, variables, scope);
      const remembered = passed.get(key);
      if (remembered) {
        probesRemembered += 1;
        return Promise.resolve(remembered);
      }
      const inFlight = probing.get(key);
      if (inFlight) {
        probesJoined += 1;
        return inFlight;
      }
      probes += 1;
      const answer = execute(document, { ...variables, [cursorVariable]: '' }, scope)
        .then((result) => {
          if (!result.errors?.length) passed.set(key, result);
          return result;
        })
        .finally(() => probing.delete(key));
      probing.set(key, answer);
      return answer;
    },
    join(document, variables, scope) {
      const key = groupKey(document, variables, scope);
      let group = groups.get(key);
      if (!group) {
        const members = new Map<SubscriberScope, number>();
        // The event its members are resolving now: they ask for it one after another (a fast path
        // before the shared cache, whose key is the group's whole text plus the cursor).
        let lastCursor = '';
        let lastResult: Promise<ExecutionResult | null> | null = null;
        group = {
          key,
          members,
          resolve(cursor) {
            if (lastResult && cursor === lastCursor) return lastResult;
            const resultKey = `${key}\n${cursor}`;
            let result = results.get(resultKey);
            if (!result) {
              payloadExecutions += 1;
              result = execute(document, { ...variables, [cursorVariable]: cursor }, longestLived(members) ?? scope).then((executed) => {
                const data = executed.data as Record<string, unknown> | null | undefined;
                // An event the subscriber may not see (or whose filter does not match) resolves to null.
                if (!executed.errors?.length && data && Object.values(data).every((value) => value === null)) return null;
                return executed;
              });
              // Members await it; one that stopped meanwhile must not leave the failure unhandled.
              result.catch(() => {});
              results.set(resultKey, result);
            }
            lastCursor = cursor;
            lastResult = result;
            return result;
          },
        };
        groups.set(key, group);
      }
      group.members.set(scope, (group.members.get(scope) ?? 0) + 1);
      return group;
    },
    leave(group, scope) {
      const current = groups.get(group.key);
      if (!current) return;
      const count = (current.members.get(scope) ?? 0) - 1;
      if (count > 0) current.members.set(scope, count);
      else current.members.delete(scope);
      if (current.members.size === 0) groups.delete(group.key);
    },
    stats: () => ({ groups: groups.size, payloadExecutions, cachedResults: results.size, probes, probesJoined, probesRemembered }),
  };
}

/** Same document, variables (in any key order) and authorization scope: one group, one probe. */
function groupKey(document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope): string {
  return `${scope.scopeKey}\n${JSON.stringify(sortKeys(variables))}\n${printOnce(document)}`;
}

/** The member whose token expires last (all members share tenant and roles, so any may read for the group). */
function longestLived(members: ReadonlyMap<SubscriberScope, number>): SubscriberScope | undefined {
  let best: SubscriberScope | undefined;
  for (const member of members.keys()) {
    if (!best || member.identity.expiresAt.getTime() > best.identity.expiresAt.getTime()) best = member;
  }
  return best;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  }
  return value;
}
