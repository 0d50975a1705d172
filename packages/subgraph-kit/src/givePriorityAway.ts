import { joinCgroup, lowerBackendPriority, type BackendPriority, type Sql } from '@novacron/db';
import { lowerProcessPriority, type Logger } from '@novacron/server-kit';

/**
 * Gives this whole process a lower CPU priority (nice `nice`, every thread; threads started later
 * inherit it) and moves it into `cgroup` when one is given (`BACKGROUND_CGROUP`), logging what it did:
 * an operation worker, or a subgraph's background process (docs/architecture.md, "CPU priority of
 * execution"). `setting` names the nice value's environment variable in the log.
 */
export async function lowerThisProcess(logger: Logger, options: { nice: number; setting: string; cgroup: string | null }): Promise<void> {
  logger.info({ nice: options.nice, threads: lowerProcessPriority(options.nice) }, `running at a lower CPU priority (${options.setting})`);
  const { cgroup } = options;
  if (!cgroup) return;
  await joinCgroup(cgroup, process.pid).then(
    () => logger.info({ cgroup }, 'running in the background CPU cgroup (BACKGROUND_CGROUP)'),
    (error: NodeJS.ErrnoException) => logger.warn({ cgroup, reason: error.code ?? error.message }, 'cannot join BACKGROUND_CGROUP; running at the lower priority alone'),
  );
}

/**
 * lowerBackendPriority for a process's pools, telling `logger` once why any part of it cannot be done;
 * `whose` names the backends in those lines ("the worker's", "the background pool's").
 */
export function lowerBackends(logger: Logger, options: { sql: Sql; applicationNames: readonly string[]; nice: number; cgroup: string | null; whose: string }): BackendPriority {
  const { whose, cgroup } = options;
  return lowerBackendPriority({
    sql: options.sql,
    applicationNames: options.applicationNames,
    nice: options.nice,
    onUnavailable: (reason) => logger.info({ reason }, `${whose} Postgres backends keep their CPU priority`),
    onGroupsUnavailable: (reason) => logger.info({ reason }, `${whose} Postgres backends keep their autogroup's CPU priority (their nice value is lowered)`),
    ...(cgroup ? { cgroup, onCgroupUnavailable: (reason: string) => logger.warn({ reason }, `${whose} Postgres backends stay out of BACKGROUND_CGROUP (their nice value is lowered)`) } : {}),
  });
}
