export { startPlatform } from './startPlatform.ts';
export type { Platform, PlatformOptions } from './startPlatform.ts';
export { spawnWorker } from './spawnWorker.ts';
export type { WorkerProcess } from './spawnWorker.ts';
export { createVmInput } from './createVmInput.ts';
export { countRows, providerInstancesFor } from './countRows.ts';
export { instancesOfVm } from './instancesOfVm.ts';
export { collect, subscriptionsClient } from './collectSubscription.ts';
export type { CollectedSubscription } from './collectSubscription.ts';
export { spawnGateway } from './spawnGateway.ts';
export { spawnService } from './spawnService.ts';
export type { ServiceProcess } from './spawnService.ts';
export type { GatewayProcess } from './spawnGateway.ts';
export { openRawGraphQLSocket } from './rawGraphQLSocket.ts';
export type { RawGraphQLSocket } from './rawGraphQLSocket.ts';
export { postGraphQL } from './postGraphQL.ts';
export type { ClientError, PostGraphQLOptions, RawGraphQLResponse } from './postGraphQL.ts';
export { databaseFingerprint } from './databaseFingerprint.ts';
export type { DatabaseFingerprintOptions } from './databaseFingerprint.ts';
export { auditCount, auditEntriesBy } from './auditTrail.ts';
export { waitForIdleOperations } from './waitForIdleOperations.ts';
export { internalTokenFor, postToSubgraph, readEventFeed, streamHead } from './internalTokens.ts';
export type { EventFeedEntry, InternalCaller } from './internalTokens.ts';
export {
  AuditLogDocument,
  OperationAtDocument,
  OrphanInstancesDocument,
  ProviderCredentialsDocument,
  ReconcileProviderDocument,
  SetOrphanCleanupDocument,
  SetProviderCredentialsDocument,
  TenantSettingsDocument,
  UpdateTenantSettingsDocument,
  VmEventAtDocument,
} from './adminDocuments.ts';
export type { AuditEntryView } from './adminDocuments.ts';
