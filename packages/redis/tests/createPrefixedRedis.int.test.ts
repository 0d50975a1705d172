import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisServerInstalled, startRedis, waitFor } from '@novacron/testing';
import { assertRedisPrefix, createPrefixedRedis } from '../src/index.ts';

type Topics = { signals: `${string}.${string}` };
const topics = { signals: (message: string): message is Topics['signals'] => /^[a-z]+\.[a-z]+$/.test(message) };

describe('assertRedisPrefix', () => {
  it('accepts colon-joined segments and refuses empty, spaced or wildcard prefixes', () => {
    expect(() => assertRedisPrefix('novacron')).not.toThrow();
    expect(() => assertRedisPrefix('test:a-1_b')).not.toThrow();
    for (const prefix of ['', 'a b', 'a*', 'a:', ':a', 'x'.repeat(65)]) expect(() => assertRedisPrefix(prefix), prefix).toThrow(RangeError);
  });
});

describe.runIf(redisServerInstalled || process.env.CI)('createPrefixedRedis', () => {
  it('stores every key, including Lua script keys, under the prefix', async () => {
    await using server = await startRedis();
    const prefix = `test-${randomUUID()}`;
    await using redis = createPrefixedRedis({ url: server.url, prefix, topics });
    await redis.client.set('counter', '1');
    await redis.client.eval("return redis.call('INCR', KEYS[1])", 1, 'scripted');
    const raw = new Redis(server.url);
    try {
      expect((await raw.keys('*')).sort()).toEqual([`${prefix}:counter`, `${prefix}:scripted`]);
    } finally {
      raw.disconnect();
    }
  });

  it('delivers typed messages on <prefix>:<topic> only to subscribers of the same prefix, dropping malformed ones', async () => {
    await using server = await startRedis();
    const prefix = `test-${randomUUID()}`;
    await using subscriber = createPrefixedRedis({ url: server.url, prefix, topics });
    await using otherDeployment = createPrefixedRedis({ url: server.url, prefix: `${prefix}-other`, topics });
    await using publisher = createPrefixedRedis({ url: server.url, prefix, topics });
    const received: string[] = [];
    const foreign: string[] = [];
    await subscriber.subscribe('signals', (message) => received.push(message));
    await otherDeployment.subscribe('signals', (message) => foreign.push(message));
    expect(subscriber.channel('signals')).toBe(`${prefix}:signals`);

    const raw = new Redis(server.url);
    try {
      await raw.publish(`${prefix}:signals`, 'not a stream name');
    } finally {
      raw.disconnect();
    }
    expect(await publisher.publish('signals', 'vms.vm')).toBe(1);
    await waitFor(() => received.length > 0, { description: 'the signal' });
    expect(received).toEqual(['vms.vm']);
    expect(foreign).toEqual([]);
  });

  it('refuses topics it was not given', async () => {
    await using server = await startRedis();
    await using redis = createPrefixedRedis({ url: server.url, prefix: 'p', topics });
    expect(() => redis.channel('other' as 'signals')).toThrow(RangeError);
  });
});
