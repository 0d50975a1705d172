/** Process entry of the vms subgraph: read config, start, stop cleanly on SIGINT/SIGTERM. */
import { createLogger } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

const logger = createLogger('vms');
try {
  const running = await start(loadConfig(), logger);
  const shutdown = async () => {
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'vms subgraph failed to start');
  process.exit(1);
}
