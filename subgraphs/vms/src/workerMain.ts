/** Process entry of an operation worker: read config, start, drain and stop on SIGINT/SIGTERM. */
// First: when tracing is configured, the instrumentations patch the modules loaded after it.
import '@novacron/telemetry/register';
import { createLogger } from '@novacron/server-kit';
import { startTracing } from '@novacron/telemetry';
import { loadConfig } from './config.ts';
import { startWorker } from './worker/startWorker.ts';

const tracing = startTracing('vms-worker');
const logger = createLogger('vms-worker');
try {
  const worker = await startWorker(loadConfig(), logger);
  let stopping = false;
  // Ctrl-C in a terminal reaches this process and `npm start` (which then sends SIGTERM): stop once.
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await worker.stop();
    await tracing.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'operation worker failed to start');
  process.exit(1);
}
