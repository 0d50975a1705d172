import type { Sql } from '@novacron/db';

/** One kind of activity seen in `pg_stat_activity` samples, and in how many samples. */
export interface ActivityCount {
  application: string;
  /** `wait_event_type:wait_event`, `CPU` when the backend was not waiting, or `idle in transaction`. */
  wait: string;
  query: string;
  /** Sum over samples of backends in this state: an average of `samples / sampleCount` backends. */
  samples: number;
}

/** A running sampler; `stop` returns what it saw. */
export interface ActivitySampler {
  stop(): Promise<{ sampleCount: number; activity: ActivityCount[] }>;
}

// Every NovaCron pool sets application_name, graphile-worker's (job fetch/complete) included as
// novacron-vms-jobs; a client without one is not the platform's.
const unnamedClient = '(no app name)';

/** Labels Postgres backend pids by client, for {@link snapshotProcessCpu}. */
export async function readPostgresRoles(sql: Sql): Promise<Map<number, string>> {
  const rows = await sql<{ pid: number; application: string; backendType: string }[]>`
    select pid, application_name as application, backend_type as "backendType" from pg_stat_activity`;
  return new Map(rows.map((row) => [row.pid, `postgres ← ${row.application || (row.backendType === 'client backend' ? unnamedClient : row.backendType)}`]));
}

/**
 * Samples the active backends of the bench database every `intervalMs`: which client, running
 * what, waiting on what. Where many backends wait on a lock, that lock is the bottleneck; where they
 * run (wait = CPU), that query is what Postgres spends its CPU on.
 */
export function samplePostgresActivity(sql: Sql, intervalMs = 100): ActivitySampler {
  const counts = new Map<string, ActivityCount>();
  let sampleCount = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ application: string; state: string; waitType: string | null; waitEvent: string | null; query: string }[]>`
        select application_name as application, state, wait_event_type as "waitType", wait_event as "waitEvent", query
        from pg_stat_activity
        where state in ('active', 'idle in transaction') and pid <> pg_backend_pid() and datname = current_database()`.catch(() => []);
      sampleCount += 1;
      for (const row of rows) {
        // "idle in transaction" is a transaction held open while its client (a Node process) is busy elsewhere.
        const wait = row.state === 'idle in transaction' ? 'idle in transaction' : row.waitType ? `${row.waitType}:${row.waitEvent}` : 'CPU';
        const query = row.query.replace(/\s+/g, ' ').trim().slice(0, 110);
        const key = `${row.application}\u0000${wait}\u0000${query}`;
        const entry = counts.get(key) ?? { application: row.application || unnamedClient, wait, query, samples: 0 };
        entry.samples += 1;
        counts.set(key, entry);
      }
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { sampleCount, activity: [...counts.values()].sort((a, b) => b.samples - a.samples) };
    },
  };
}
