import type { InternalPrincipal, InternalTokenVerifier } from '@novacron/auth';
import type { Logger } from '@novacron/server-kit';
import type { Sql } from '@novacron/db';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { MetricsConfig } from './config.ts';
import type { RequestLoaders } from './domain/createRequestLoaders.ts';
import type { RefusalCounter } from './domain/ingestSamples.ts';

/** Long-lived services shared by every request. */
export interface MetricsServices {
  /** The pool (postgres.js): storage and queries use it directly for bulk statements. */
  sql: Sql;
  /** The same pool through drizzle: the kit's feed and the stream follower use it. */
  db: PostgresJsDatabase<Record<string, unknown>>;
  config: MetricsConfig;
  /** The clock (retention windows and resolution choices read it). */
  now(): Date;
  logger: Logger;
  /** Checks an internal token addressed to this subgraph (the OTLP endpoint's callers). */
  verifyInternalToken: InternalTokenVerifier;
  /** Counts refused samples in the subgraph's Prometheus registry (committed refusals only). */
  countRefusals: RefusalCounter;
}

/** What every resolver receives. */
export interface RequestContext {
  /** Who is calling, as the gateway vouched in its signed internal token. */
  principal: InternalPrincipal;
  /** The caller's tenant ('' for NovaCron's own system calls). */
  tenantId: string;
  services: MetricsServices;
  /** Batched reads of this request (one statement per `_entities` batch, not per VM). */
  loaders: RequestLoaders;
}
