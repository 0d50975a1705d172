import type { Sql } from '@novacron/db';
import { loadCatalog } from '@novacron/catalog';
import type { Metrics } from '@novacron/telemetry';

/** VM states whose compute the cloud bills (a stopped VM pays for its disks only). */
const billedStatuses = ['PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'REBOOTING', 'RESIZING'];
const unfinishedStatuses = ['QUEUED', 'RUNNING'] as const;

/**
 * Scrape-time gauges over the vms tables: unfinished operations by status, and the hourly list-price
 * run rate of the VMs whose compute is billed, by provider, region and instance type (the catalog's
 * on-demand price; `cost_type="hourly_rate"`). Both are read when Prometheus scrapes, never cached.
 */
export function observeOperations(metrics: Metrics, sql: Sql): void {
  metrics.gaugeFromCollect('operationQueueDepth', async () => {
    const rows = await sql<{ status: string; count: number }[]>`
      select status, count(*)::int as count from vms.operations where status in ${sql([...unfinishedStatuses])} group by status`;
    return unfinishedStatuses.map((status) => ({ labels: { status }, value: rows.find((row) => row.status === status)?.count ?? 0 }));
  });
  metrics.gaugeFromCollect('infrastructureCost', async () => {
    const catalog = loadCatalog();
    const rows = await sql<{ provider: string; region: string; instance_type: string; count: number }[]>`
      select provider, region, instance_type, count(*)::int as count from vms.vms
      where status in ${sql(billedStatuses)} group by provider, region, instance_type`;
    return rows.map((row) => ({
      labels: { provider: row.provider, region: row.region, instance_type: row.instance_type, cost_type: 'hourly_rate' },
      value: row.count * (catalog.find(row.provider, row.region, row.instance_type)?.priceHourUsd ?? 0),
    }));
  });
}
