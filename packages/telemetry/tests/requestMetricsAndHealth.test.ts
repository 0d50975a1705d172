import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { AppError } from '@novacron/errors';
import { createHealthScore, createLogger, createMetrics, logFormat, useRequestMetrics } from '../src/index.ts';

describe('useRequestMetrics', () => {
  it('times requests by operation type and bounded name and counts errors by code', async () => {
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    const health = createHealthScore({ metrics, component: 'test', ready: async () => true });
    const apollo = new ApolloServer({
      typeDefs: 'type Query { ok: Boolean! broken: Boolean! missing: Boolean! }',
      resolvers: {
        Query: {
          ok: () => true,
          broken: () => {
            throw new Error('boom');
          },
          missing: () => {
            throw new AppError('NOT_FOUND', 'no such thing');
          },
        },
      },
      plugins: [useRequestMetrics({ metrics, knownOperationNames: new Set(['Known']), health })],
    });
    await apollo.start();
    try {
      await apollo.executeOperation({ query: 'query Known { ok }' });
      await apollo.executeOperation({ query: 'query SomethingElse { ok }' });
      await apollo.executeOperation({ query: 'query Known { missing }' });
      await apollo.executeOperation({ query: '{ broken }' });
      const text = await metrics.scrape();
      expect(text).toContain('novacron_graphql_request_duration_seconds_count{operation_type="query",operation_name="Known"} 2');
      expect(text).toContain('novacron_graphql_request_duration_seconds_count{operation_type="query",operation_name="other"} 1');
      expect(text).toContain('novacron_graphql_request_duration_seconds_count{operation_type="query",operation_name="anonymous"} 1');
      expect(text).toContain('novacron_graphql_errors_total{code="NOT_FOUND"} 1');
      expect(text).toContain('novacron_graphql_errors_total{code="INTERNAL_SERVER_ERROR"} 1');
      // One request in four failed on the server side (NOT_FOUND is the caller's): 100 − 500 × 0.25, floored at 50.
      expect(await health.compute()).toBe(50);
    } finally {
      await apollo.stop();
    }
  });
});

describe('createHealthScore', () => {
  it('is 0 when not ready, 100 when ready without errors or lag, and lower with errors and lag', async () => {
    let now = 1_000_000_000;
    let ready = true;
    let lag = 0;
    const metrics = createMetrics({ service: 'test', defaultMetrics: false });
    const health = createHealthScore({ metrics, component: 'worker', ready: async () => ready, lagSeconds: () => lag, now: () => now });
    expect(await health.compute()).toBe(100);
    for (let index = 0; index < 95; index += 1) health.record(true);
    for (let index = 0; index < 5; index += 1) health.record(false);
    expect(await health.compute()).toBe(75);
    lag = 3.5;
    expect(await health.compute()).toBe(50);
    expect(await metrics.scrape()).toContain('novacron_system_health_score{component="worker"} 50');
    now += 301_000;
    lag = 0;
    expect(await health.compute()).toBe(100);
    ready = false;
    expect(await health.compute()).toBe(0);
    ready = true;
    const unreadable = createHealthScore({ metrics: createMetrics({ service: 'test', defaultMetrics: false }), component: 'worker', ready: async () => true, lagSeconds: async () => Promise.reject(new Error('database unreachable')) });
    expect(await unreadable.compute()).toBe(50);
  });
});

describe('createLogger', () => {
  it('is pretty in a terminal outside production and JSON otherwise', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
  });

  it('prints one line for people with time, service, level, message and key fields when pretty', () => {
    const lines: string[] = [];
    const logger = createLogger('vms', 'info', 'pretty', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    logger.info({ operation: 'op-1', provider: 'aws' }, 'operation accepted');
    logger.debug('below the level');
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(vms\): operation accepted /);
    expect(line).toContain('"operation":"op-1"');
    expect(line).toContain('"provider":"aws"');
    expect(line.trim().split('\n')).toHaveLength(1);
  });

});
