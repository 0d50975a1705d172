/** Process entry of an operation worker: drains and stops on SIGINT/SIGTERM. */
import { lowerProcessPriority, runProcess } from '@novacron/server-kit';
import { loadConfig, workerPriorityWarning } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

await runProcess('vms-worker', (logger) => {
  const config = loadConfig();
  // Execution gives way to the accept path on a shared machine (docs/architecture.md, "CPU priority of execution").
  if (config.worker.nice > 0) logger.info({ nice: config.worker.nice, threads: lowerProcessPriority(config.worker.nice) }, 'running at a lower CPU priority (WORKER_NICE)');
  const warning = workerPriorityWarning(config);
  if (warning) logger.warn(warning);
  return startWorker(config, logger, { backendNice: config.worker.nice });
});
