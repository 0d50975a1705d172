import type { Sql } from '@novacron/db';
import type { SimulatedFault } from './SimulatedFault.ts';

/**
 * Makes the next `count` matching calls to a simulated cloud misbehave (chaos tests, demos). The
 * fault lives in Postgres, so it reaches every process using that cloud. Returns the fault's id.
 */
export async function injectFault(sql: Sql, fault: SimulatedFault): Promise<string> {
  if (!Number.isInteger(fault.count) || fault.count < 1) throw new RangeError(`fault count must be a positive integer, got ${fault.count}`);
  const [row] = await sql<{ id: string }[]>`
    insert into simcloud.faults (provider, action, kind, remaining, region, code, message)
    values (${fault.provider}, ${fault.action}, ${fault.kind}, ${fault.count}, ${fault.region ?? null}, ${fault.code ?? null}, ${fault.message ?? null})
    returning id`;
  return String(row!.id);
}
