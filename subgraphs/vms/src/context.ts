import type DataLoader from 'dataloader';
import type { ProviderRegistry } from '@novacron/providers';
import type { VmsConfig } from './config.ts';
import type { Database } from './db/createDatabase.ts';
import type { VmRow } from './db/rows.ts';

/** Long-lived services shared by every request. */
export interface VmsServices {
  db: Database;
  providers: ProviderRegistry;
  config: VmsConfig;
}

/** What every resolver receives. */
export interface RequestContext {
  /** The caller's tenant: every read and write is scoped to it. */
  tenantId: string;
  services: VmsServices;
  /** Per-request batching of VM lookups (Operation.vm, entity references). */
  vmById: DataLoader<string, VmRow | null>;
}
