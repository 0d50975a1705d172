import type { ProviderRegistry } from '@novacron/providers';
import type { Logger } from '@novacron/server-kit';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import type { Database } from '../db/createDatabase.ts';
import type { RetryPolicy } from './retryTransient.ts';

/** What every part of a worker shares. */
export interface WorkerContext {
  db: Database;
  providers: ProviderRegistry;
  logger: Logger;
  /** Unique per worker process, recorded as the lease owner. */
  workerId: string;
  leaseSeconds: number;
  retry: RetryPolicy;
  /** Give up waiting for a provider transition after this long. */
  transitionTimeoutSeconds: number;
  /** The placement subgraph, for capacity failover of placed creates; absent without one. */
  placement?: SubgraphClient;
}
