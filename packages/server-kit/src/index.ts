export { createGraphQLHttpServer, listen } from './createGraphQLHttpServer.ts';
export type { GraphQLHttpServerOptions, RunningHttpServer } from './createGraphQLHttpServer.ts';
export { createLogger } from './createLogger.ts';
export type { Logger } from './createLogger.ts';
export { readEnv } from './readEnv.ts';
export { runProcess } from './runProcess.ts';
export type { Stoppable } from './runProcess.ts';
