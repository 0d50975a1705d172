import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, redisServerInstalled, startRedis, waitFor, type TestDatabase } from '@novacron/testing';
import { createEventSignalSource, postgresEventChannel, startEventRelay, type EventStreamName } from '../src/index.ts';

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
});
