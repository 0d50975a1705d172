/** Process entry of an operation worker: drains and stops on SIGINT/SIGTERM. */
import { runProcess } from '@novacron/server-kit';
import { lowerThisProcess } from '@novacron/subgraph-kit';
import { loadConfig, workerPriorityWarning } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

await runProcess('vms-worker', async (logger) => {
  const config = loadConfig();
  // Execution gives way to the accept path on a shared machine (docs/architecture.md, "CPU priority of execution").
  const cgroup = config.worker.nice > 0 ? config.backgroundCgroup : null;
  if (config.worker.nice > 0) await lowerThisProcess(logger, { nice: config.worker.nice, setting: 'WORKER_NICE', cgroup });
  const warning = workerPriorityWarning(config);
  if (warning) logger.warn(warning);
  return startWorker(config, logger, { backendNice: config.worker.nice, ...(cgroup ? { backendCgroup: cgroup } : {}) });
});
