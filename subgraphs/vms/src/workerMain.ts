/** Process entry of an operation worker: drains and stops on SIGINT/SIGTERM. */
import { runProcess } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

await runProcess('vms-worker', (logger) => startWorker(loadConfig(), logger));
