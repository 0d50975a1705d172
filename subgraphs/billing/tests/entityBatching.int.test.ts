import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { createLogger } from '@novacron/server-kit';
import { captureStatements, createTestDatabase, type StatementCapture, type TestDatabase } from '@novacron/testing';
import { createDatabase } from '../src/db/createDatabase.ts';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { formatUsd } from '../src/domain/money.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { vmCost } from '../src/domain/vmCost.ts';
import { start } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';
import { vmEventStream } from './support/vmEventStream.ts';

let database: TestDatabase;
let running: Awaited<ReturnType<typeof start>>;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let statements: StatementCapture;
const now = epochSeconds('2026-11-16T00:00:00Z');

const costQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on VM { id cost { hourlyRate accruedMonthToDate projectedMonth vmVersion } } } }`;
interface Answer {
  data?: { _entities: ({ id: string; cost: Record<string, unknown> | null } | null)[] } | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Asks for the cost of `ids` as a viewer of `tenant`; returns the answer and the statements the request ran. */
async function costs(tenant: string, ids: string[]): Promise<{ answer: Answer; statements: string[] }> {
  const { traceparent, traceId } = statements.newTrace();
  const response = await fetch(running.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent, [internalTokenHeader]: await keys.forUser(tenant, 'viewer') },
    body: JSON.stringify({ query: costQuery, variables: { reps: ids.map((id) => ({ __typename: 'VM', id })) } }),
  });
  const answer = (await response.json()) as Answer;
  return { answer, statements: statements.statementsOf(traceId) };
}

const own: string[] = [];
let foreign = '';

beforeAll(async () => {
  statements = captureStatements();
  database = await createTestDatabase();
  keys = await createTestKeys();
  running = await start(testConfig(database.url, keys.keysDir), createLogger('billing', 'silent'), { now: () => now, tasks: false });
  const streams = Array.from({ length: 24 }, (_, index) => vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: index % 2 ? 'm6i.large' : 't3.micro' }));
  for (const [index, stream] of streams.entries()) {
    stream.created('2026-11-01T00:00:00Z');
    stream.running(`2026-11-0${1 + (index % 9)}T00:00:00Z`);
    if (index % 3 === 1) stream.status('2026-11-10T00:00:00Z', 'STOPPED');
    if (index % 5 === 4) stream.deleted('2026-11-12T00:00:00Z');
    own.push(stream.id);
  }
  const globex = vmEventStream({ tenantId: 'globex', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.8xlarge' });
  globex.created('2026-11-01T00:00:00Z');
  globex.running('2026-11-01T00:00:00Z');
  foreign = globex.id;
  const db = createDatabase(database.sql);
  await db.transaction((tx) => applyVmEvents(tx, [...streams.flatMap((stream) => stream.events), ...globex.events], loadCatalog()));
});
afterAll(async () => {
  await running?.stop();
  await database?.drop();
  statements?.stop();
});

describe('VM.cost through _entities', () => {
  it('runs the same few statements for 2 VMs as for 26', async () => {
    const few = await costs('acme', own.slice(0, 2));
    const many = await costs('acme', [...own, randomUUID(), foreign]);
    expect(few.answer.errors).toBeUndefined();
    expect(few.statements.length).toBeGreaterThan(0);
    expect(few.statements.length).toBeLessThanOrEqual(3);
    expect(many.statements).toHaveLength(few.statements.length);
  });

  it('gives each VM its own cost, a VM billing has not heard of nothing, and another tenant’s VM NOT_FOUND', async () => {
    const unknown = randomUUID();
    const ids = [own[0]!, foreign, ...own.slice(1), unknown];
    const { answer } = await costs('acme', ids);
    const entities = answer.data?._entities ?? [];
    expect(entities).toHaveLength(ids.length);
    for (const [index, id] of ids.entries()) {
      if (id === foreign || id === unknown) continue;
      // The unbatched reading of one VM is the reference.
      const expected = await vmCost(running.services.db, 'acme', id, now);
      expect(entities[index]).toEqual({
        id,
        cost: { hourlyRate: formatUsd(expected.hourlyRate), accruedMonthToDate: formatUsd(expected.accruedMonthToDate), projectedMonth: formatUsd(expected.projectedMonth), vmVersion: expected.vmVersion },
      });
    }
    expect(new Set(entities.map((entity) => entity?.cost?.hourlyRate)).size).toBeGreaterThan(2);
    expect(entities.at(-1)).toEqual({ id: unknown, cost: { hourlyRate: '0.000000', accruedMonthToDate: '0.000000', projectedMonth: '0.000000', vmVersion: 0 } });
    // The foreign VM fails alone, with its own path; its cost is not in the answer.
    expect(answer.errors?.map((error) => [error.extensions?.code, error.path])).toEqual([['NOT_FOUND', ['_entities', 1, 'cost']]]);
    expect(entities[1]).toBeNull();
    const globexCost = await vmCost(running.services.db, 'globex', foreign, now);
    expect(JSON.stringify(answer.data)).not.toContain(formatUsd(globexCost.accruedMonthToDate));
  });

  it('serves the owner of a VM its cost within the same kind of batch (loaders are per request and tenant)', async () => {
    const [acme, globex] = await Promise.all([costs('acme', [own[0]!, foreign]), costs('globex', [own[0]!, foreign])]);
    expect(acme.answer.data?._entities[0]?.cost).not.toBeNull();
    expect(acme.answer.data?._entities[1]).toBeNull();
    expect(globex.answer.data?._entities[0]).toBeNull();
    expect(globex.answer.data?._entities[1]?.cost?.hourlyRate).toBe(formatUsd((await vmCost(running.services.db, 'globex', foreign, now)).hourlyRate));
  });
});
