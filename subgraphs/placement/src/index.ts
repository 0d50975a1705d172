/** Process entry of the placement subgraph: read config, start, stop cleanly on SIGINT/SIGTERM. */
import { createLogger } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

const logger = createLogger('placement');
try {
  const running = await start(loadConfig(), logger);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'placement subgraph failed to start');
  process.exit(1);
}
