import { AppError } from '@novacron/errors';

/**
 * The metrics port of a service: `<SERVICE>_METRICS_PORT` (`GATEWAY_METRICS_PORT`,
 * `VMS_METRICS_PORT`, `WORKER_METRICS_PORT`), else `fallback` (0: a free port, printed at start;
 * `npm start` assigns fixed ones and lists them for Prometheus). Meant for `config.ts` files.
 */
export function metricsPortFromEnv(prefix: string, fallback = 0, env: Record<string, string | undefined> = process.env): number {
  const name = `${prefix}_METRICS_PORT`;
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new AppError('BAD_USER_INPUT', `${name} must be a port number, got "${raw}"`, { field: name });
  return port;
}
