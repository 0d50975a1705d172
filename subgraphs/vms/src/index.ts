/** Process entry of the vms subgraph: read config, start, stop cleanly on SIGINT/SIGTERM. */
import { startTracing } from '@novacron/telemetry/start-tracing';

// Tracing starts before the process's modules load, so the instrumentations can patch them.
const tracing = startTracing('vms');
const { createLogger } = await import('@novacron/server-kit');
const { loadConfig } = await import('./config.ts');
const { start } = await import('./server.ts');

const logger = createLogger('vms');
try {
  const running = await start(loadConfig(), logger);
  let stopping = false;
  // Ctrl-C in a terminal reaches this process and `npm start` (which then sends SIGTERM): stop once.
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    await tracing.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'vms subgraph failed to start');
  process.exit(1);
}
