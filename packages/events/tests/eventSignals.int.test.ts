import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, redisServerInstalled, startRedis, waitFor, type TestDatabase } from '@novacron/testing';
import { createEventSignalSource, postgresEventChannel, redisEventTopic, startEventRelay, type EventStreamName } from '../src/index.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('event signals', () => {
  it('arrive over PostgreSQL LISTEN/NOTIFY only when the transaction commits', async () => {
    const received: EventStreamName[] = [];
    const source = createEventSignalSource({ databaseUrl: database.url, onSignal: (stream) => received.push(stream) });
    await source.ready;
    await database.sql.begin(async (tx) => {
      await tx`select pg_notify(${postgresEventChannel}, 'vms.vm')`;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toEqual([]);
    });
    await waitFor(() => received.length === 1);
    await database.sql`select pg_notify(${postgresEventChannel}, 'not a stream name!')`;
    await database.sql`select pg_notify(${postgresEventChannel}, 'vms.operation')`;
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['vms.vm', 'vms.operation']);
    await source.close();
  });

  it.runIf(redisServerInstalled || process.env.CI)('are relayed from PostgreSQL to every Redis subscriber under the prefix', async () => {
    await using redis = await startRedis();
    const relay = startEventRelay({ databaseUrl: database.url, redisUrl: redis.url, redisPrefix: 'relay-test' });
    await relay.ready;
    const heard: EventStreamName[][] = [[], []];
    const sources = heard.map((list) => createEventSignalSource({ redisUrl: redis.url, redisPrefix: 'relay-test', onSignal: (stream) => list.push(stream) }));
    const otherPrefix: EventStreamName[] = [];
    const other = createEventSignalSource({ redisUrl: redis.url, redisPrefix: 'someone-else', onSignal: (stream) => otherPrefix.push(stream) });
    await Promise.all([...sources, other].map((source) => source.ready));
    await database.sql`select pg_notify(${postgresEventChannel}, 'vms.vm')`;
    await waitFor(() => heard.every((list) => list.length === 1));
    expect(heard).toEqual([['vms.vm'], ['vms.vm']]);
    expect(otherPrefix).toEqual([]);
    await Promise.all([...sources, other].map((source) => source.close()));
    await relay.close();
  });

  it.runIf(redisServerInstalled || process.env.CI)('starts while Redis is down and listens once Redis comes up', async () => {
    await using redis = await startRedis();
    await redis.stop();
    const received: EventStreamName[] = [];
    const changes: boolean[] = [];
    const source = createEventSignalSource({ redisUrl: redis.url, redisPrefix: 'late-redis', onSignal: (stream) => received.push(stream), onConnectionChange: (connected) => changes.push(connected) });
    // Before the fix, ready rejected with ECONNREFUSED and the gateway exited.
    await source.ready;
    expect(source.connected).toBe(false);
    await redis.start();
    await waitFor(() => source.connected);
    const publisher = new Redis(redis.url);
    // The subscription may land a moment after the connection: publish until a signal is heard.
    await waitFor(async () => {
      await publisher.publish(redisEventTopic('late-redis'), 'vms.vm');
      return received.length > 0;
    });
    expect(received.every((stream) => stream === 'vms.vm')).toBe(true);
    expect(changes[0]).toBe(true);
    publisher.disconnect();
    await source.close();
  });
});
