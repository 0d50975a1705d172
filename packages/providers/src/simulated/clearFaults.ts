import type { Sql } from '@novacron/db';
import type { SimulatedProviderName } from './simulatedFlavours.ts';

/** Removes every injected fault of one simulated cloud, or of all of them. Returns how many were removed. */
export async function clearFaults(sql: Sql, provider?: SimulatedProviderName): Promise<number> {
  const result = provider ? await sql`delete from simcloud.faults where provider = ${provider}` : await sql`delete from simcloud.faults`;
  return result.count;
}
