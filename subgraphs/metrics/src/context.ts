import type { InternalPrincipal } from '@novacron/auth';
import type { Sql } from '@novacron/db';
import type { MetricsConfig } from './config.ts';

/** Long-lived services shared by every request. */
export interface MetricsServices {
  sql: Sql;
  config: MetricsConfig;
  /** The clock (tests pin it); retention windows and resolution choices read it. */
  now(): Date;
}

/** What every resolver receives. */
export interface RequestContext {
  /** Who is calling, as the gateway vouched in its signed internal token. */
  principal: InternalPrincipal;
  /** The caller's tenant ('' for the gateway's own system calls). */
  tenantId: string;
  services: MetricsServices;
}
