import type { Sql } from '@novacron/db';
import type { ProviderInstanceState } from '../ProviderDriver.ts';
import type { SimulatedProviderName } from './simulatedFlavours.ts';
import { settleAssignments } from './settleTransitions.ts';

/** A change made to a simulated instance behind NovaCron's back. */
export interface SimulatedDrift {
  provider: SimulatedProviderName;
  providerId: string;
  /** The settled state it now has (someone stopped or started it in the console). */
  state?: Extract<ProviderInstanceState, 'RUNNING' | 'STOPPED' | 'ERROR'>;
  /** The type it was resized to. */
  instanceType?: string;
  /** The instance was deleted outside NovaCron. */
  vanish?: boolean;
}

/**
 * Changes a simulated instance as someone acting outside NovaCron would, so the reconciler can be
 * exercised (and demonstrated) on the simulated cloud too. Returns whether the instance existed.
 */
export async function injectDrift(sql: Sql, drift: SimulatedDrift): Promise<boolean> {
  // A due transition first settles (reads report it settled without writing it), so the drift starts from what callers saw.
  await sql.unsafe(`update simcloud.instances set ${settleAssignments} where provider = $1 and provider_id = $2 and settles_at <= now()`, [drift.provider, drift.providerId]);
  const state = drift.vanish ? 'DELETED' : drift.state;
  const rows = await sql`
    update simcloud.instances set
      state = coalesce(${state ?? null}::text, state),
      target_state = case when ${state ?? null}::text is null then target_state else null end,
      settles_at = case when ${state ?? null}::text is null then settles_at else null end,
      instance_type = coalesce(${drift.instanceType ?? null}::text, instance_type),
      public_ip = case when ${state ?? null}::text in ('STOPPED', 'DELETED') then null else public_ip end,
      updated_at = now()
    where provider = ${drift.provider} and provider_id = ${drift.providerId}
    returning 1`;
  return rows.length > 0;
}
