/** Process entry of the gateway: read config, start, stop cleanly on SIGINT/SIGTERM. */
import { createLogger } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

const logger = createLogger('gateway');
try {
  const running = await start(loadConfig(), logger);
  const shutdown = async () => {
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
}
