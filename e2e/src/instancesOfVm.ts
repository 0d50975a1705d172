import type { Sql } from '@novacron/db';

/**
 * How many instances the simulated cloud holds for a VM, counted as an operator would in a cloud
 * console: by the `novacron-vm-id` tag every create sets, and by the VM's name. Counting by client
 * token proved nothing (a unique index keeps that at most one); these can show a duplicate.
 */
export async function instancesOfVm(sql: Sql, vm: { id: string; name: string }): Promise<{ tagged: number; named: number }> {
  const [row] = await sql<{ tagged: number; named: number }[]>`
    select count(*) filter (where labels->>'novacron-vm-id' = ${vm.id})::int as tagged,
           count(*) filter (where name = ${vm.name})::int as named
    from simcloud.instances`;
  return row ?? { tagged: 0, named: 0 };
}
