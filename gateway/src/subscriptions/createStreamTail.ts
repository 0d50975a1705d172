import type { Logger } from '@novacron/server-kit';
import { heldBackRetryDelay, type FeedEntry, type FeedFetcher } from '@novacron/events';

/** A live reader of one event stream, shared by every subscriber in this gateway process. */
export interface StreamTail {
  /** The stream's signal name (`vms.vm`). */
  readonly name: string;
  /**
   * Starts following: `onEntries` gets every entry after the returned `startCursor`, in order.
   * The first follower makes the tail read the stream's head.
   */
  follow(onEntries: (entries: FeedEntry[]) => void): Promise<{ startCursor: string; stop: () => void }>;
  /** Reads what is new now (a signal arrived). */
  wake(): void;
  close(): void;
}

/** Options for {@link createStreamTail}. */
export interface StreamTailOptions {
  /** The stream's short name in the feed (`vm`). */
  stream: string;
  /** The stream's signal name (`vms.vm`). */
  name: string;
  fetchFeed: FeedFetcher;
  /** A read every so often even without signals: covers a lost signal or a Redis outage. */
  pollIntervalMs: number;
  pageSize?: number;
  logger: Logger;
  /** Called with each non-empty page as it arrives, before the followers (the read stage's lag metric). */
  onRead?: (entries: FeedEntry[]) => void;
}

/** Held-back re-reads wait at most the poll interval, but never less than their first wait (25 ms). */
const heldBackMinDelayMs = 25;

/**
 * Tails a stream for one gateway process. Reads happen one at a time, from the last position read,
 * whenever a signal or the poll timer wakes it; followers get batches in stream order.
 */
export function createStreamTail(options: StreamTailOptions): StreamTail {
  const pageSize = options.pageSize ?? 1_000;
  const followers = new Set<(entries: FeedEntry[]) => void>();
  let position: string | null = null;
  let headRead: Promise<string> | null = null;
  let reading = false;
  let wanted = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const readHead = () => {
    headRead ??= options.fetchFeed({ stream: options.stream, after: null, first: 1 }).then(
      (page) => {
        position = page.endCursor;
        return page.endCursor;
      },
      (error: unknown) => {
        headRead = null;
        throw error;
      },
    );
    return headRead;
  };

  // Events committed behind an older transaction still in flight are not readable yet, and their
  // signal has already come: re-read after a short, growing delay until the feed holds nothing back.
  let heldBackDelayMs = 0;
  let heldBackTimer: NodeJS.Timeout | null = null;
  const drain = async () => {
    if (reading || closed || position === null) return;
    reading = true;
    let heldBack = false;
    try {
      while (wanted && !closed) {
        wanted = false;
        for (;;) {
          const page = await options.fetchFeed({ stream: options.stream, after: position, first: pageSize });
          position = page.endCursor;
          if (page.entries.length > 0) {
            options.onRead?.(page.entries);
            for (const follower of followers) follower(page.entries);
          }
          if (page.entries.length < pageSize) {
            heldBack = page.heldBack ?? false;
            break;
          }
        }
      }
    } catch (error) {
      options.logger.warn({ err: error, stream: options.name }, 'reading the event feed failed; will retry');
    } finally {
      reading = false;
    }
    if (!heldBack || closed) {
      heldBackDelayMs = 0;
      return;
    }
    heldBackDelayMs = heldBackRetryDelay(heldBackDelayMs, Math.max(heldBackMinDelayMs, options.pollIntervalMs));
    if (heldBackTimer) clearTimeout(heldBackTimer);
    heldBackTimer = setTimeout(() => {
      heldBackTimer = null;
      wake();
    }, heldBackDelayMs);
  };

  const wake = () => {
    wanted = true;
    void drain();
  };

  return {
    name: options.name,
    async follow(onEntries) {
      const startCursor = position ?? (await readHead());
      followers.add(onEntries);
      timer ??= setInterval(wake, options.pollIntervalMs);
      return {
        // Entries read before this follower joined were delivered to others only.
        startCursor: position ?? startCursor,
        stop: () => {
          followers.delete(onEntries);
          if (followers.size === 0 && timer) {
            clearInterval(timer);
            timer = null;
          }
        },
      };
    },
    wake,
    close: () => {
      closed = true;
      if (timer) clearInterval(timer);
      if (heldBackTimer) clearTimeout(heldBackTimer);
      followers.clear();
    },
  };
}
