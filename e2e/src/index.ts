export { startPlatform } from './startPlatform.ts';
export type { Platform, PlatformOptions } from './startPlatform.ts';
export { spawnWorker } from './spawnWorker.ts';
export type { WorkerProcess } from './spawnWorker.ts';
export { createVmInput } from './createVmInput.ts';
export { countRows, providerInstancesFor } from './countRows.ts';
export { collect, subscriptionsClient } from './collectSubscription.ts';
export type { CollectedSubscription } from './collectSubscription.ts';
