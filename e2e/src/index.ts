export { startPlatform } from './startPlatform.ts';
export type { Platform, PlatformOptions } from './startPlatform.ts';
export { spawnWorker } from './spawnWorker.ts';
export type { WorkerProcess } from './spawnWorker.ts';
