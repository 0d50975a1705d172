import type { FeedEntry } from '@novacron/events';

/** What the index needs of a subscriber. */
export interface Routable {
  tenantId: string;
  /** The entity ids it follows; null when any entity of its tenant may concern it. */
  keys: string[] | null;
}

/**
 * The subscribers of each stream: those interested in any entity, and the rest by the entity ids they
 * name, so routing an event costs the few subscribers it concerns rather than every subscriber.
 */
export interface SubscriberIndex<T extends Routable> {
  add(stream: string, subscriber: T): void;
  remove(stream: string, subscriber: T): void;
  /** The subscribers an entry concerns (its tenant's, and of its entities or unkeyed), each once. */
  concerned(stream: string, entry: FeedEntry): Set<T>;
  all(): T[];
}

/** Creates an empty index. */
export function createSubscriberIndex<T extends Routable>(): SubscriberIndex<T> {
  const streams = new Map<string, { unkeyed: Set<T>; byKey: Map<string, Set<T>> }>();
  return {
    add(stream, subscriber) {
      let followers = streams.get(stream);
      if (!followers) {
        followers = { unkeyed: new Set(), byKey: new Map() };
        streams.set(stream, followers);
      }
      if (!subscriber.keys) followers.unkeyed.add(subscriber);
      for (const key of subscriber.keys ?? []) {
        const keyed = followers.byKey.get(key) ?? new Set<T>();
        keyed.add(subscriber);
        followers.byKey.set(key, keyed);
      }
    },
    remove(stream, subscriber) {
      const followers = streams.get(stream);
      if (!followers) return;
      followers.unkeyed.delete(subscriber);
      for (const key of subscriber.keys ?? []) {
        const keyed = followers.byKey.get(key);
        keyed?.delete(subscriber);
        if (keyed?.size === 0) followers.byKey.delete(key);
      }
    },
    concerned(stream, entry) {
      const result = new Set<T>();
      const followers = streams.get(stream);
      if (!followers) return result;
      for (const group of [followers.unkeyed, ...entry.keys.map((key) => followers.byKey.get(key))]) {
        for (const subscriber of group ?? []) if (subscriber.tenantId === entry.tenantId) result.add(subscriber);
      }
      return result;
    },
    all() {
      const everyone = new Set<T>();
      for (const followers of streams.values()) {
        for (const subscriber of followers.unkeyed) everyone.add(subscriber);
        for (const keyed of followers.byKey.values()) for (const subscriber of keyed) everyone.add(subscriber);
      }
      return [...everyone];
    },
  };
}
