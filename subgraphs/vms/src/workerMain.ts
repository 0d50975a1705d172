/** Process entry of an operation worker: read config, start, drain and stop on SIGINT/SIGTERM. */
import { createLogger } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

const logger = createLogger('vms-worker');
try {
  const worker = await startWorker(loadConfig(), logger);
  const shutdown = async () => {
    await worker.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'operation worker failed to start');
  process.exit(1);
}
