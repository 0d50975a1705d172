/** Process entry of an operation worker: read config, start, drain and stop on SIGINT/SIGTERM. */
import { startTracing } from '@novacron/telemetry/start-tracing';

// Tracing starts before the process's modules load, so the instrumentations can patch them.
const tracing = startTracing('vms-worker');
const { createLogger } = await import('@novacron/server-kit');
const { loadConfig } = await import('./config.ts');
const { startWorker } = await import('./worker/startWorker.ts');

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
