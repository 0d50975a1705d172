// First: every process entry imports this package (runProcess) before anything else, so when tracing
// is configured the instrumentations (graphql, pg) are enabled before those modules load (ES modules
// evaluate in import order).
import '@novacron/telemetry/register';
export { createGraphQLHttpServer, formatResponseMaxAge, listen, postedRequest, responseMaxAgeHeader } from './createGraphQLHttpServer.ts';
export type { EarlyAnswer, GraphQLHttpServerOptions, PostedRequest, RunningHttpServer } from './createGraphQLHttpServer.ts';
export { createLatencyWindows } from './createLatencyWindows.ts';
export type { LatencyWindowOptions, LatencyWindows } from './createLatencyWindows.ts';
export { createLogger } from './createLogger.ts';
export type { Logger } from './createLogger.ts';
export { lowerProcessPriority } from './lowerProcessPriority.ts';
export { readEnv } from './readEnv.ts';
export { runProcess } from './runProcess.ts';
export type { Stoppable } from './runProcess.ts';
