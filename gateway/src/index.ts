/** Process entry of the gateway: start tracing, read config, start, stop cleanly on SIGINT/SIGTERM. */
// First: when tracing is configured, the instrumentations patch the modules loaded after it.
import '@novacron/telemetry/register';
import { createLogger } from '@novacron/server-kit';
import { startTracing } from '@novacron/telemetry';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

const tracing = startTracing('gateway');
const logger = createLogger('gateway');
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
  logger.fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
}
