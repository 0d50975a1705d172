import type { ProviderRegistry } from '@novacron/providers';
import type { Logger } from '@novacron/server-kit';
import type { OperationTelemetry } from '@novacron/telemetry';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import type { Database } from '../db/createDatabase.ts';
import type { ProviderBreakers } from './createProviderBreakers.ts';
import type { RetryPolicy } from './retryTransient.ts';
import type { EventSignaller } from './createEventSignaller.ts';
import type { LeaseKeeper } from './startLeaseHeartbeat.ts';

/** What every part of a worker shares. */
export interface WorkerContext {
  db: Database;
  providers: ProviderRegistry;
  logger: Logger;
  /** Unique per worker process, recorded as the lease owner. */
  workerId: string;
  leaseSeconds: number;
  /** Renews the leases of all the process's running operations together (none: a keeper per operation). */
  leases?: LeaseKeeper;
  /**
   * While `leases` holds more than `above` operations, the end of a step before its wait is held back
   * to ride with the wait's end when the instance is due within `withinMs` (not only 0.5 s; see
   * executeOperation's deferStepEndWindowMs). Absent: 0.5 s always.
   */
  coalescing?: { above: number; withinMs: number };
  retry: RetryPolicy;
  /** Circuit breakers on provider API calls (none: every call goes through). */
  breakers?: ProviderBreakers;
  /** An operation re-driven more often than this (its workers keep dying) is failed by the next claim. */
  maxRedrives: number;
  /** Aborted when the worker stops: waits for the database to come back end early. */
  signal?: AbortSignal;
  /** Give up waiting for a provider transition after this long. */
  transitionTimeoutSeconds: number;
  /** Metrics and spans around executions, steps and provider calls (none: nothing recorded). */
  telemetry?: OperationTelemetry;
  /** The placement subgraph, for capacity failover of placed creates; absent without one. */
  placement?: SubgraphClient;
  /**
   * Signals the event streams after each write, when `db`'s connections defer the triggers' NOTIFY
   * (startWorker's pool); absent, the triggers signal at each commit.
   */
  eventSignals?: EventSignaller;
}
