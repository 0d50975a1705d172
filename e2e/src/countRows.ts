import type { Sql } from '@novacron/db';

/** Row counts of everything a mutation could write; equal before and after means nothing was written. */
export async function countRows(sql: Sql): Promise<{ vms: number; operations: number; events: number }> {
  const [row] = await sql<{ vms: number; operations: number; events: number }[]>`
    select (select count(*)::int from vms.vms) as vms,
           (select count(*)::int from vms.operations) as operations,
           (select count(*)::int from vms.vm_events) as events`;
  if (!row) throw new Error('count query returned nothing');
  return row;
}

/** How many simulated-cloud instances were created with a client token (the operation id). */
export async function providerInstancesFor(sql: Sql, clientToken: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from simcloud.instances where client_token = ${clientToken}`;
  return row?.n ?? 0;
}
