import type { Sql } from '@novacron/db';
import { waitFor } from '@novacron/testing';

/** Resolves once no operation is queued or running, so the database holds still for a fingerprint. */
export async function waitForIdleOperations(sql: Sql, options: { timeoutMs?: number } = {}): Promise<void> {
  await waitFor(
    async () => {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from vms.operations where status in ('QUEUED', 'RUNNING')`;
      return row?.n === 0;
    },
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 25, description: 'every operation to finish' },
  );
}
