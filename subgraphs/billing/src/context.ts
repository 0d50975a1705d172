import type DataLoader from 'dataloader';
import type { Catalog } from '@novacron/catalog';
import type { CredentialKeys } from '@novacron/secrets';
import type { RequestPrincipal } from '@novacron/subgraph-kit';
import type { BillingConfig } from './config.ts';
import type { Database } from './db/createDatabase.ts';
import type { MetricsRequester } from './domain/readUtilization.ts';
import type { VmCost } from './domain/vmCost.ts';

/** Long-lived services shared by every request. */
export interface BillingServices {
  db: Database;
  catalog: Catalog;
  config: BillingConfig;
  /** Now, in epoch seconds (tests pin it). */
  now(): number;
  /** Reads the metrics subgraph as NovaCron; null when no metrics subgraph is configured. */
  metrics: MetricsRequester | null;
  /** The key ring budget webhook secrets are encrypted with (`CREDENTIALS_KEYS`, shared with vms). */
  secretKeys: CredentialKeys;
}

/** What every resolver receives. */
export interface BillingContext extends RequestPrincipal {
  services: BillingServices;
  /** `VM.cost` of the caller's tenant, batched per request (one query set per `_entities` batch). */
  vmCost: DataLoader<string, VmCost>;
}

/** The name codegen's resolver types use for the context. */
export type RequestContext = BillingContext;
