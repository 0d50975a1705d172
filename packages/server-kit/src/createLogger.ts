import { pino, type Logger as PinoLogger } from 'pino';

/** The structured logger every NovaCron process uses. */
export type Logger = PinoLogger;

/** Creates a JSON logger named after its service; `LOG_LEVEL` sets the level (default `info`). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: { paths: ['*.password', '*.secret', '*.token', '*.authorization', '*.credentials', 'headers.authorization', 'input.credentials'], censor: '[redacted]' },
  });
}
