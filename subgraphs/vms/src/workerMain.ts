/** Process entry of an operation worker: drains and stops on SIGINT/SIGTERM. */
import { joinCgroup } from '@novacron/db';
import { lowerProcessPriority, runProcess } from '@novacron/server-kit';
import { loadConfig, workerPriorityWarning } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

await runProcess('vms-worker', async (logger) => {
  const config = loadConfig();
  // Execution gives way to the accept path on a shared machine (docs/architecture.md, "CPU priority of execution").
  if (config.worker.nice > 0) logger.info({ nice: config.worker.nice, threads: lowerProcessPriority(config.worker.nice) }, 'running at a lower CPU priority (WORKER_NICE)');
  const cgroup = config.worker.nice > 0 ? config.backgroundCgroup : null;
  if (cgroup) {
    await joinCgroup(cgroup, process.pid).then(
      () => logger.info({ cgroup }, 'running in the background CPU cgroup (BACKGROUND_CGROUP)'),
      (error: NodeJS.ErrnoException) => logger.warn({ cgroup, reason: error.code ?? error.message }, 'cannot join BACKGROUND_CGROUP; running at the lower priority alone'),
    );
  }
  const warning = workerPriorityWarning(config);
  if (warning) logger.warn(warning);
  return startWorker(config, logger, { backendNice: config.worker.nice, ...(cgroup ? { backendCgroup: cgroup } : {}) });
});
