import type { Logger } from '@novacron/server-kit';
import type { StreamTail } from '../subscriptions/createStreamTail.ts';
import type { ResponseCache } from './createResponseCache.ts';

/**
 * Follows every event stream the gateway tails (the subscriptions' tails, so no extra feed reads)
 * and invalidates the tenant of each event. A stream whose subgraph is not up yet is retried every
 * `retryMs`. Returns a stop function.
 */
export function invalidateOnEvents(options: { tails: Iterable<StreamTail>; cache: ResponseCache; retryMs: number; logger: Logger }): () => void {
  const stops: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const follow = (tail: StreamTail) => {
    tail
      .follow((entries) => {
        for (const tenantId of new Set(entries.map((entry) => entry.tenantId))) void options.cache.invalidateTenant(tenantId);
      })
      .then(
        (following) => {
          if (stopped) following.stop();
          else stops.push(following.stop);
        },
        (error: unknown) => {
          if (stopped) return;
          options.logger.warn({ err: error, stream: tail.name }, 'response cache cannot follow a stream yet; retrying');
          const timer = setTimeout(() => {
            timers.delete(timer);
            follow(tail);
          }, options.retryMs);
          timers.add(timer);
        },
      );
  };
  for (const tail of options.tails) follow(tail);
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    for (const stop of stops) stop();
  };
}
