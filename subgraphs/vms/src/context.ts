import type DataLoader from 'dataloader';
import type { InternalPrincipal } from '@novacron/auth';
import type { ProviderRegistry } from '@novacron/providers';
import type { CredentialKeys } from './domain/credentialCipher.ts';
import type { VmsConfig } from './config.ts';
import type { Database } from './db/createDatabase.ts';
import type { VmRow } from './db/rows.ts';

/** Long-lived services shared by every request. */
export interface VmsServices {
  db: Database;
  providers: ProviderRegistry;
  config: VmsConfig;
  credentialKeys: CredentialKeys;
}

/** What every resolver receives. */
export interface RequestContext {
  /** Who is calling, as the gateway vouched in its signed internal token. */
  principal: InternalPrincipal;
  /** The caller's tenant: every read and write is scoped to it ('' for the gateway's own system calls). */
  tenantId: string;
  services: VmsServices;
  /** Per-request batching of VM lookups (Operation.vm, entity references). */
  vmById: DataLoader<string, VmRow | null>;
}
