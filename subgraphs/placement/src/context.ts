import type DataLoader from 'dataloader';
import type { InternalPrincipal } from '@novacron/auth';
import type { Catalog } from '@novacron/catalog';
import type { PlacementConfig } from './config.ts';
import type { Database } from './db/createDatabase.ts';
import type { PlacementDecision } from './domain/decisionStore.ts';
import type { PlacementStateCache, StateLease } from './domain/placementStateCache.ts';
import type { PlacementResponseCache } from './responseCache/createPlacementResponseCache.ts';

/** Long-lived services shared by every request. */
export interface PlacementServices {
  db: Database;
  catalog: Catalog;
  config: PlacementConfig;
  /** Tenant states and rankings for placementOptions; writes of this process invalidate it. */
  stateCache: PlacementStateCache;
  /** placementOptions answers served before Apollo (null when PLACEMENT_RESPONSE_CACHE is off). */
  responseCache: PlacementResponseCache | null;
}

/** What every resolver receives. */
export interface RequestContext {
  /** Who is calling, as the gateway vouched in its signed internal token. */
  principal: InternalPrincipal;
  /** The caller's tenant: every read and write is scoped to it ('' for the gateway's own system calls). */
  tenantId: string;
  services: PlacementServices;
  /** The tenant states this request's placementOptions fields ranked against (the response cache keys on their version). */
  stateLeases: StateLease[];
  /**
   * Set by fields that read placement state fresh, outside a lease (`VM.alternatives`): their answer can
   * change with other tenants' create outcomes at any time, so no cache in front may serve it again.
   */
  readsUnleasedState: boolean;
  /** `VM.placement` of the caller's tenant, batched per request (one statement per `_entities` batch). */
  decisionByVm: DataLoader<string, PlacementDecision | null>;
}
