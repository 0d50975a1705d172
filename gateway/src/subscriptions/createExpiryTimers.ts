import { setLongTimeout, type LongTimeout } from './setLongTimeout.ts';

/** Items (connections) that end at an instant: their token's expiry. */
export interface ExpiryTimers<T> {
  /** Calls the expiry callback with `item` at `expiresAtMs` (at once if that has passed). */
  add(item: T, expiresAtMs: number): void;
  /** Forgets `item` (it ended before expiring); `expiresAtMs` is the instant it was added with. */
  remove(item: T, expiresAtMs: number): void;
  /** How many distinct instants have a timer (for tests). */
  readonly timers: number;
  /** Stops every timer; nothing expires afterwards. */
  clear(): void;
}

/**
 * One timer per distinct expiry instant instead of one per item: the connections of one token (a
 * dashboard's tabs, a fleet of clients sharing a service token) share it. A timer, its closures and
 * the handle were ≈ 0.3 KB per idle connection. Delays of any length (setLongTimeout).
 * Hand-rolled: timer libraries keep one timer per entry, which is the cost removed here.
 */
export function createExpiryTimers<T>(expire: (item: T) => void): ExpiryTimers<T> {
  const due = new Map<number, { items: Set<T>; timer: LongTimeout }>();
  return {
    add(item, expiresAtMs) {
      let slot = due.get(expiresAtMs);
      if (!slot) {
        const items = new Set<T>();
        const timer = setLongTimeout(() => {
          due.delete(expiresAtMs);
          for (const each of items) expire(each);
        }, expiresAtMs - Date.now());
        slot = { items, timer };
        due.set(expiresAtMs, slot);
      }
      slot.items.add(item);
    },
    remove(item, expiresAtMs) {
      const slot = due.get(expiresAtMs);
      if (!slot) return;
      slot.items.delete(item);
      if (slot.items.size === 0) {
        slot.timer.clear();
        due.delete(expiresAtMs);
      }
    },
    get timers() {
      return due.size;
    },
    clear() {
      for (const slot of due.values()) slot.timer.clear();
      due.clear();
    },
  };
}
