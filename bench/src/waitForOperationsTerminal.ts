import { performance } from 'node:perf_hooks';
import type { Sql } from '@novacron/db';

/** Options for {@link waitForOperationsTerminal}. */
export interface DrainOptions {
  /** Operations expected in the table; waiting ends only once at least this many exist and none is active. */
  expected: number;
  /** `performance.now()` the elapsed times are measured from (the first measured mutation). */
  since: number;
  timeoutMs: number;
  pollIntervalMs?: number;
  progressIntervalMs?: number;
  log: (line: string) => void;
}

/** An operation still QUEUED or RUNNING when the wait gave up. */
export interface StuckOperation {
  id: string;
  status: string;
  attempts: number;
  redriveCount: number;
  leaseOwner: string | null;
  steps: string;
}

/** How the wait ended. */
export interface DrainResult {
  /** Whether every operation became terminal before the timeout. */
  drained: boolean;
  /** From `since` until the poll that first saw everything terminal (or until giving up). */
  elapsedMs: number;
  statusCounts: Record<string, number>;
  /** Up to 10 operations still active, when not drained. */
  stuck: StuckOperation[];
  stuckTotal: number;
}

const activeStatuses = ['QUEUED', 'RUNNING'];

/**
 * Polls `vms.operations` until every operation is SUCCEEDED, FAILED or CANCELLED, printing
 * progress now and then; after the timeout it reports what is still active instead of hanging.
 */
export async function waitForOperationsTerminal(sql: Sql, options: DrainOptions): Promise<DrainResult> {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const progressIntervalMs = options.progressIntervalMs ?? 5_000;
  const deadline = performance.now() + options.timeoutMs;
  let lastProgress = performance.now();
  const countByStatus = async () => {
    const rows = await sql<{ status: string; count: number }[]>`select status, count(*)::int as count from vms.operations group by status`;
    return { statusCounts: Object.fromEntries(rows.map((row) => [row.status, row.count])), total: rows.reduce((sum, row) => sum + row.count, 0) };
  };
  for (;;) {
    // Cheap: the partial index on active operations answers this without reading the table.
    const [{ active } = { active: 0 }] = await sql<{ active: number }[]>`
      select count(*)::int as active from vms.operations where status in ('QUEUED', 'RUNNING')`;
    const now = performance.now();
    if (active === 0) {
      const { statusCounts, total } = await countByStatus();
      if (total >= options.expected) return { drained: true, elapsedMs: now - options.since, statusCounts, stuck: [], stuckTotal: 0 };
    }
    if (now > deadline) {
      const { statusCounts } = await countByStatus();
      const stuck = await sql<StuckOperation[]>`
        select id, status, attempts, redrive_count as "redriveCount", lease_owner as "leaseOwner",
               (select string_agg((step->>'name') || ':' || (step->>'status'), ' ') from jsonb_array_elements(steps) as step) as steps
        from vms.operations where status in ${sql(activeStatuses)} order by created_at limit 10`;
      return { drained: false, elapsedMs: now - options.since, statusCounts, stuck, stuckTotal: active };
    }
    if (now - lastProgress >= progressIntervalMs) {
      lastProgress = now;
      const { statusCounts, total } = await countByStatus();
      const terminal = total - active;
      const detail = Object.entries(statusCounts).map(([status, count]) => `${status} ${count}`).join(', ');
      options.log(`${((now - options.since) / 1000).toFixed(1).padStart(6)} s: ${terminal}/${Math.max(total, options.expected)} terminal (${detail})`);
    }
    await new Promise((done) => setTimeout(done, pollIntervalMs));
  }
}
