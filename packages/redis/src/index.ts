export { assertRedisPrefix, createPrefixedRedis } from './createPrefixedRedis.ts';
export type { PrefixedRedis, PrefixedRedisOptions, TopicDecoders } from './createPrefixedRedis.ts';
