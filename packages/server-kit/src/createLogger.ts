/**
 * The structured logger every NovaCron process uses: pino, `LOG_LEVEL` for the level, secrets
 * redacted, `trace_id`/`span_id` inside spans, pretty in a terminal and JSON otherwise. It lives in
 * @novacron/telemetry with the tracing it joins up with; re-exported here for the processes.
 */
export { createLogger } from '@novacron/telemetry';
export type { Logger } from '@novacron/telemetry';
