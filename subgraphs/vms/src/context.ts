import type DataLoader from 'dataloader';
import type { ProviderRegistry } from '@novacron/providers';
import type { RequestPrincipal, SubgraphClient } from '@novacron/subgraph-kit';
import type { CredentialKeys } from '@novacron/secrets';
import type { BudgetGuard } from './domain/reserveCreateBudget.ts';
import type { VmsConfig } from './config.ts';
import type { Database } from './db/createDatabase.ts';
import type { VmRow } from './db/rows.ts';
import type { MutationAdmission } from './domain/createMutationAdmission.ts';
import type { CreateGuardScope } from './domain/createCreateGuardScope.ts';

/** Long-lived services shared by every request. */
export interface VmsServices {
  db: Database;
  providers: ProviderRegistry;
  config: VmsConfig;
  credentialKeys: CredentialKeys;
  /** Calls to the placement subgraph (quota reservations, placed creates), when the platform has one. */
  placement?: SubgraphClient;
  /** Billing's BLOCK_CREATE check on createVM; absent when no billing subgraph is configured. */
  budgetGuard?: BudgetGuard | null;
  /** Which of createVM's quota/budget calls a tenant needs (cached); absent: always call both. */
  createGuards?: CreateGuardScope | null;
  /** Admission control on mutations (OVERLOADED beyond its limits); absent: every mutation runs. */
  admission?: MutationAdmission | null;
}

/** What every resolver receives: the verified caller (from the gateway's internal token) and the services. */
export interface RequestContext extends RequestPrincipal {
  services: VmsServices;
  /** Per-request batching of VM lookups (Operation.vm, entity references). */
  vmById: DataLoader<string, VmRow | null>;
}
