import { startTracing } from '@novacron/telemetry';
import { createLogger, type Logger } from './createLogger.ts';

/** Something a process runs until it is told to stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The whole process entry of a service: starts it, stops it once on SIGINT/SIGTERM (Ctrl-C reaches
 * both the service and `npm start`, which then sends SIGTERM), and exits non-zero when start fails.
 * Tracing starts first when the `OTEL_*` environment configures an exporter (service name `name`).
 */
export async function runProcess(name: string, start: (logger: Logger) => Promise<Stoppable>): Promise<void> {
  const tracing = startTracing(name);
  const logger = createLogger(name);
  let running: Stoppable;
  try {
    running = await start(logger);
  } catch (error) {
    logger.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await running.stop();
      await tracing.shutdown();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, `${name} did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
