import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { activeTraceIds } from './spans.ts';

/** The structured logger every NovaCron process uses. */
export type Logger = PinoLogger;

type Env = Record<string, string | undefined>;

/**
 * `pretty` for people (a terminal, not production), `json` for machines. `LOG_FORMAT=pretty|json`
 * decides explicitly (`npm start` passes `pretty` to its children when it runs in a terminal, since
 * their own stdout is a pipe).
 */
export function logFormat(env: Env = process.env, isTTY = Boolean(process.stdout.isTTY)): 'pretty' | 'json' {
  const chosen = env.LOG_FORMAT?.toLowerCase();
  if (chosen === 'pretty' || chosen === 'json') return chosen;
  return isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

/**
 * Creates a logger named after its service; `LOG_LEVEL` sets the level (default `info`). Every line
 * logged inside a traced span carries `trace_id` and `span_id`, so logs and traces join up.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', format = logFormat(), destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    mixin: () => activeTraceIds(),
    redact: { paths: ['*.password', '*.secret', '*.token', '*.authorization', '*.credentials', 'headers.authorization', 'input.credentials'], censor: '[redacted]' },
  };
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  // A synchronous stream in this thread rather than a transport worker: one process per service
  // already, and lines must not be lost when the process exits right after logging.
  const stream: DestinationStream = pretty({ colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true, ...(destination ? { destination } : {}) });
  return pino(options, stream);
}
