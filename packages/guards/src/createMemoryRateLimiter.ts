import type { RateLimiter } from './RateLimiter.ts';
import { rateLimitDecision } from './rateLimitDecision.ts';

/** The in-memory limiter, with a window count for tests of its eviction. */
export interface MemoryRateLimiter extends RateLimiter {
  /** Windows currently held: keys that called within the last window. */
  readonly windowCount: number;
}

interface Window {
  count: number;
  resetsAt: number;
}

/**
 * A per-process fixed-window limiter. Memory stays bounded by the keys seen in the last window:
 * windows sit in the map in the order they reset (each new window is appended), so expired ones
 * are dropped from the front on every call.
 */
export function createMemoryRateLimiter(points: number, windowMs: number, now: () => number): MemoryRateLimiter {
  const windows = new Map<string, Window>();
  const evictExpired = (at: number) => {
    for (const [key, window] of windows) {
      if (window.resetsAt > at) break;
      windows.delete(key);
    }
  };
  const close = async () => windows.clear();
  return {
    kind: 'memory',
    get windowCount() {
      return windows.size;
    },
    async consume(key) {
      const at = now();
      evictExpired(at);
      let window = windows.get(key);
      // A clock that stepped back can leave an expired window behind a live one; renew it here.
      if (!window || window.resetsAt <= at) {
        windows.delete(key);
        window = { count: 0, resetsAt: at + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      return rateLimitDecision(window.count, points, window.resetsAt - at);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
