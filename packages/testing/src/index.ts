export { createTestDatabase } from './createTestDatabase.ts';
export type { TestDatabase } from './createTestDatabase.ts';
export { freePort } from './freePort.ts';
export { waitFor } from './waitFor.ts';
export type { WaitForOptions } from './waitFor.ts';
export { redisServerInstalled, startRedis } from './startRedis.ts';
export type { TestRedis } from './startRedis.ts';
export { startOtlpReceiver } from './startOtlpReceiver.ts';
export type { OtlpReceiver, OtlpRequest, ReceivedSpan } from './startOtlpReceiver.ts';
