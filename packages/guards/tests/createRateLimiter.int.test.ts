import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, redisServerInstalled, startRedis, waitFor } from '@novacron/testing';
import { createRateLimiter, type RateLimiter } from '../src/index.ts';

async function consumeTimes(limiter: RateLimiter, key: string, times: number) {
  const decisions = [];
  for (let i = 0; i < times; i += 1) decisions.push(await limiter.consume(key));
  return decisions;
}

describe.runIf(redisServerInstalled || process.env.CI)('createRateLimiter on Redis', () => {
  it('shares one budget between limiters on the same Redis', async () => {
    await using redis = await startRedis();
    const redisPrefix = `test-${randomUUID()}`;
    await using first = createRateLimiter({ points: 5, windowSeconds: 60, redisUrl: redis.url, redisPrefix });
    await using second = createRateLimiter({ points: 5, windowSeconds: 60, redisUrl: redis.url, redisPrefix });
    expect([first.kind, second.kind]).toEqual(['redis', 'redis']);
    await consumeTimes(first, 'client-a', 3);
    const fromSecond = await consumeTimes(second, 'client-a', 2);
    expect(fromSecond.map((decision) => decision.remaining)).toEqual([1, 0]);
    const refused = await first.consume('client-a');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await second.consume('client-b')).allowed).toBe(true);
  });

  it('keeps each counter under <prefix>:ratelimit:<key> with the window as its expiry', async () => {
    await using redis = await startRedis();
    const redisPrefix = `test-${randomUUID()}`;
    await using limiter = createRateLimiter({ points: 5, windowSeconds: 30, redisUrl: redis.url, redisPrefix });
    await consumeTimes(limiter, 'client-a', 2);
    const client = new Redis(redis.url);
    try {
      expect(await client.get(`${redisPrefix}:ratelimit:client-a`)).toBe('2');
      const ttl = await client.pttl(`${redisPrefix}:ratelimit:client-a`);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      client.disconnect();
    }
  });

  it('grants a fresh budget when the Redis window expires', async () => {
    await using redis = await startRedis();
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 1, redisUrl: redis.url, redisPrefix: `test-${randomUUID()}` });
    expect((await limiter.consume('client-a')).allowed).toBe(true);
    expect(await limiter.consume('client-a')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    await waitFor(async () => (await limiter.consume('client-a')).allowed, { description: 'a fresh window' });
  });

  it('keeps limiting in this process and reports the error while Redis is down, then uses Redis again once it is back', async () => {
    await using redis = await startRedis();
    const errors: unknown[] = [];
    await using limiter = createRateLimiter({
      points: 2,
      windowSeconds: 60,
      redisUrl: redis.url,
      redisPrefix: `test-${randomUUID()}`,
      onError: (error) => errors.push(error),
    });
    expect((await consumeTimes(limiter, 'client-a', 3)).map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(errors).toEqual([]);

    await redis.stop();
    // Before the fallback, all five were allowed (fail open).
    const duringOutage = await consumeTimes(limiter, 'client-a', 5);
    expect(duringOutage.map((decision) => decision.allowed)).toEqual([true, true, false, false, false]);
    expect(duringOutage[2]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatchObject({ message: 'Redis rate limiter unavailable; counting in this process', cause: expect.any(Error) });

    await redis.start();
    // The restarted server is empty (no persistence) and lost the script cache: a fresh key's budget applies again.
    await waitFor(
      async () => {
        const before = errors.length;
        await limiter.consume(`probe-${randomUUID()}`);
        return errors.length === before;
      },
      { description: 'the limiter to reach Redis again' },
    );
    const errorsBefore = errors.length;
    expect((await consumeTimes(limiter, 'client-b', 3)).map((decision) => decision.allowed)).toEqual([true, true, false]);
    expect(errors).toHaveLength(errorsBefore);
  });

  it('limits in this process within its timeout when Redis is unreachable from the start', async () => {
    await using redis = await startRedis();
    await redis.stop();
    const errors: unknown[] = [];
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 60, redisUrl: redis.url, onError: (error) => errors.push(error) });
    const started = performance.now();
    expect((await consumeTimes(limiter, 'client-a', 3)).map((decision) => decision.allowed)).toEqual([true, false, false]);
    expect(errors).toHaveLength(3);
    // A safety net against queueing behind the outage, not a benchmark: the default timeout is 250 ms.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('counts in this process after its timeout when Redis hangs', async () => {
    // startRedis can only kill its server; a hung one (SIGSTOP) needs a process of our own.
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let output = '';
      server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      await waitFor(() => output.includes('Ready to accept connections'), { description: 'redis-server to start', timeoutMs: 10_000 });
      const errors: unknown[] = [];
      await using limiter = createRateLimiter({ points: 5, windowSeconds: 60, redisUrl: `redis://127.0.0.1:${port}`, redisTimeoutMs: 100, onError: (error) => errors.push(error) });
      expect((await limiter.consume('client-a')).remaining).toBe(4);
      server.kill('SIGSTOP');
      const started = performance.now();
      // The fallback has its own, fresh counters.
      expect(await limiter.consume('client-a')).toEqual({ allowed: true, remaining: 4, retryAfterSeconds: 0 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
      expect(errors).toHaveLength(1);
      server.kill('SIGCONT');
      await waitFor(async () => (await limiter.consume('client-a')).remaining < 4, { description: 'Redis to answer again' });
    } finally {
      server.kill('SIGKILL');
    }
  });
});
