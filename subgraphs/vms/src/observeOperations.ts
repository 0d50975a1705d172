import type { Sql } from '@novacron/db';
import type { Metrics } from '@novacron/telemetry';

const unfinishedStatuses = ['QUEUED', 'RUNNING'] as const;

/**
 * Scrape-time gauge over the vms tables: unfinished operations by status, read when Prometheus
 * scrapes, never cached. (`novacron_infrastructure_cost_usd` comes from billing, whose cost
 * projection it is.)
 */
export function observeOperations(metrics: Metrics, sql: Sql): void {
  metrics.gaugeFromCollect('operationQueueDepth', async () => {
    const rows = await sql<{ status: string; count: number }[]>`
      select status, count(*)::int as count from vms.operations where status in ${sql([...unfinishedStatuses])} group by status`;
    return unfinishedStatuses.map((status) => ({ labels: { status }, value: rows.find((row) => row.status === status)?.count ?? 0 }));
  });
}
