// Hand-rolled: a single-flight with one trailing read per key is a dozen lines, and the libraries for
// it (p-memoize, dataloader) share a settled or started result, which here could miss a new event.
import type { SqlExecutor } from './SqlExecutor.ts';
import type { FeedRequest, Outbox } from './createOutbox.ts';

/** A page of a feed as {@link Outbox.readFeed} answers it. */
export type FeedPageResult = Awaited<ReturnType<Outbox['readFeed']>>;

/** One shared read: its page, and whatever a caller derives from it once for all (the serialized answer). */
export interface SharedFeedRead {
  page: Promise<FeedPageResult>;
  /** Memo for derived values, keyed by the caller's own key; lives as long as the read is reachable. */
  derived: Map<string, unknown>;
}

/** Reads feed pages, with identical concurrent reads sharing one statement. */
export type CoalescedFeedReader = (request: FeedRequest) => SharedFeedRead;

interface PendingRead extends SharedFeedRead {
  /** Starts the statement (once). */
  begin(): void;
}

/** A read whose promise exists before its statement starts, so requests can join it while it waits. */
function pendingRead(run: () => Promise<FeedPageResult>): PendingRead {
  let begin!: () => void;
  const page = new Promise<FeedPageResult>((resolve) => {
    // Started from a promise, so a reader that throws at once still rejects the page, never the caller.
    begin = () => resolve(Promise.resolve().then(run));
  });
  return { page, derived: new Map(), begin };
}

interface Flight {
  /** The read to start when the running one settles, shared by every request that arrived meanwhile. */
  next: PendingRead | null;
}

/**
 * Makes identical feed reads (stream, after, first, filters, payload) that arrive together share
 * statements: several followers and gateway tails are woken by the same signal and read the same page
 * at nearly the same moment. A request never shares a read that had already started when it arrived
 * (that statement's snapshot may predate the commit the request was woken for): with nothing running
 * it starts its own; while a read runs, it joins the one read that starts when that one settles. So
 * N readers arriving together cost at most two statements, each answer is as fresh as its own read
 * would have been, and nothing is kept once a read settles.
 */
export function coalesceFeedReads(outbox: Outbox, db: SqlExecutor): CoalescedFeedReader {
  // A key is present exactly while a read of it runs.
  const flights = new Map<string, Flight>();

  const launch = (key: string, flight: Flight, read: PendingRead) => {
    read.begin();
    const settled = () => {
      const next = flight.next;
      flight.next = null;
      if (next) launch(key, flight, next);
      else flights.delete(key);
    };
    read.page.then(settled, settled);
  };

  return (request) => {
    const key = feedReadKey(request);
    const flight = flights.get(key);
    if (flight) return (flight.next ??= pendingRead(() => outbox.readFeed(db, request)));
    const read = pendingRead(() => outbox.readFeed(db, request));
    const started: Flight = { next: null };
    flights.set(key, started);
    launch(key, started, read);
    return read;
  };
}

/** What makes two reads the same read. */
function feedReadKey(request: FeedRequest): string {
  return JSON.stringify([request.stream, request.after ?? null, request.first, request.entityId ?? null, request.tenantId ?? null, request.withPayload === true]);
}
