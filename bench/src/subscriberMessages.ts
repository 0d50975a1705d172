/** IPC between the fan-out benchmark and its subscriber client processes (`subscriberClient.ts`). */

/** Parent → client process. */
export type ToSubscriberClient =
  /**
   * Opens one connection per entry of `vmIds` (null: an unfiltered subscription), `connectPerSecond`
   * a second; they are numbered from `firstIndex` (a process may be asked to connect in steps).
   */
  | { type: 'connect'; url: string; query: string; vmIds: (string | null)[]; firstIndex: number; connectPerSecond: number; authorization?: string | undefined }
  /** Records events whose `occurredAt` is at or after `fromEpochMs` (earlier ones are only counted). */
  | { type: 'record'; fromEpochMs: number }
  /** Answers a {@link SubscriberReport} covering events with `occurredAt` before `toEpochMs`. */
  | { type: 'report'; toEpochMs: number }
  /** Closes every connection and exits. */
  | { type: 'exit' };

/** Connection progress of one client process. */
export interface SubscriberProgress {
  type: 'progress';
  /** WebSocket opened (upgrade done). */
  opened: number;
  /** `connection_ack` received, `subscribe` sent. */
  subscribed: number;
  /** Connections that failed to open, or closed before they were acknowledged. */
  failed: number;
  /** Why, for the first few: the close code and reason or the socket error. */
  failureSamples?: string[];
  /** Connections closed by the server after being acknowledged, before `exit`. */
  closedUnexpectedly: number;
  /** Events received so far with `occurredAt` at or after the `record` time. */
  recorded: number;
}

/** What one client process saw during the recording window. */
export interface SubscriberReport {
  type: 'report';
  /** Receive time − `occurredAt`, ms, one per delivered event with `occurredAt` in the window. */
  latenciesMs: Float64Array;
  /** `occurredAt` (epoch ms) of the same events, in the same order. */
  occurredAtMs: Float64Array;
  /** Per connection (by its number): events delivered with `occurredAt` in the window. */
  deliveredPerConnection: Int32Array;
  /** Events received before `record` or with `occurredAt` outside the window (idle-phase leftovers, warm-up). */
  outsideWindow: number;
  /** Events of one VM that arrived with a version not above the previous one (out of order or duplicated). */
  outOfOrder: number;
  /** `next` messages carrying `errors`, `error` messages, and undecodable messages. */
  errorMessages: number;
  errorSamples: string[];
  /** Close codes and reasons of connections the server closed before `exit`, with counts. */
  closes: Record<string, number>;
  progress: SubscriberProgress;
  /** This process's CPU (user + system) since `record`, seconds, and the wall time it covers. */
  cpuSeconds: number;
  wallSeconds: number;
  rssMb: number;
  /** This process's event-loop delay since `record` (perf_hooks.monitorEventLoopDelay), ms: a receipt waits for it. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Its garbage collections since `record`: count, total and longest pause (ms), pauses over 10 ms. */
  gc: { count: number; totalMs: number; maxMs: number; over10Ms: number };
}

/** Client process → parent. */
export type FromSubscriberClient = SubscriberProgress | SubscriberReport;
