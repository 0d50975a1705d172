/**
 * @novacron/subgraph-kit: what every NovaCron subgraph needs, once. A subgraph is its SDL, resolvers,
 * domain code and migrations; see README.md ("how to add a subgraph").
 */
export { runProcess } from '@novacron/server-kit';
export type { Stoppable } from '@novacron/server-kit';
export { followerSettings, loadSubgraphConfig, readNiceEnv, readPem } from './SubgraphConfig.ts';
export type { SubgraphConfig, SubgraphRole } from './SubgraphConfig.ts';
export { backgroundApplicationName, kitTypeDefs, loadTypeDefs, startSubgraph } from './startSubgraph.ts';
export type { EarlyResponses, KitServices, RequestPrincipal, RunningSubgraph, StartSubgraphOptions } from './startSubgraph.ts';
export type { PostedRequest } from '@novacron/server-kit';
export { loadSubgraphSecurity } from './loadSubgraphSecurity.ts';
export { lowerBackends, lowerThisProcess } from './givePriorityAway.ts';
export type { SubgraphSecurity } from './loadSubgraphSecurity.ts';
export { createSubgraphClient } from './createSubgraphClient.ts';
export type { SubgraphClient } from './createSubgraphClient.ts';
export { DateTime, JSON, Labels, scalars } from './scalars.ts';
export { authorize, authorizeSystem } from './authorize.ts';
export type { PrincipalContext } from './authorize.ts';
export { afterPosition, decodeCursor, encodeCursor, maxPageSize, pageRequest, pageSize, toConnection } from './pagination.ts';
export type { Connection, CursorPosition, PageRequest } from './pagination.ts';
export { auditLogTable, createAudited, listAuditLog, recordAudit } from './audit.ts';
export type { AuditFilter, AuditLogRow, AuditLogTable, AuditRecord, AuditStamp, AuditTargets } from './audit.ts';
export { defineEventStream, eventRetentionTable, eventTable, xid8 } from './outbox/EventStream.ts';
export type { EventStream } from './outbox/EventStream.ts';
export { createOutbox, maxFeedPage } from './outbox/createOutbox.ts';
export type { FeedEntry as OutboxFeedEntry, FeedRequest, NewEvent, Outbox } from './outbox/createOutbox.ts';
export { streamPayload } from './outbox/streamPayload.ts';
export type { StreamPayloadOptions } from './outbox/streamPayload.ts';
export type { SqlExecutor } from './outbox/SqlExecutor.ts';
export { startStreamFollower, streamCursorTable } from './follower/startStreamFollower.ts';
export type { StreamFollower, StreamFollowerOptions, TransactionalExecutor } from './follower/startStreamFollower.ts';
export { envPrefix, kitTypeDefsPath, readSubgraphManifest, subgraphManifestPath, subgraphUrls } from './subgraphManifest.ts';
export type { SubgraphEntry, SubgraphManifest, SubgraphProcess } from './subgraphManifest.ts';
