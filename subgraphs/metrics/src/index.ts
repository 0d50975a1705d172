/** Process entry of the metrics subgraph: read config, start, stop cleanly on SIGINT/SIGTERM. */
import { createLogger } from '@novacron/server-kit';
import { loadConfig } from './config.ts';
import { start } from './server.ts';

const logger = createLogger('metrics');
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
  logger.fatal({ err: error }, 'metrics subgraph failed to start');
  process.exit(1);
}
