import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { createLogger } from '@novacron/server-kit';
import { captureStatements, createTestDatabase, type StatementCapture, type TestDatabase } from '@novacron/testing';
import type { MetricKind } from '../src/db/schema.ts';
import type { Sample } from '../src/domain/Sample.ts';
import { writeSamples } from '../src/domain/writeSamples.ts';
import { start, type RunningMetricsSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { project } from './support/project.ts';
import { testConfig } from './support/testConfig.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
let subgraph: RunningMetricsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let statements: StatementCapture;

const latestQuery = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on VM { id latestMetrics { kind value t cursor } } } }';
type Latest = { kind: MetricKind; value: number; t: string; cursor: string };
interface Answer {
  data?: { _entities: ({ id: string; latestMetrics: Latest[] } | null)[] } | null;
  errors?: { message: string }[];
}

/** Asks for the latest metrics of `ids` as a viewer of `tenant`; returns the answer and the statements the request ran. */
async function latest(tenant: string, ids: string[]): Promise<{ answer: Answer; statements: string[] }> {
  const { traceparent, traceId } = statements.newTrace();
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent, [internalTokenHeader]: await keys.forUser(tenant, 'viewer') },
    body: JSON.stringify({ query: latestQuery, variables: { r: ids.map((id) => ({ __typename: 'VM', id })) } }),
  });
  return { answer: (await response.json()) as Answer, statements: statements.statementsOf(traceId) };
}

const hour = hoursAgo(2);
const acme = Array.from({ length: 12 }, () => vmHistory({ tenantId: 'acme' }));
const globex = vmHistory({ tenantId: 'globex' });
/** The latest sample of each kind each VM should show (acme VMs 10 and 11 have none). */
const expected = new Map<string, { kind: MetricKind; value: number; t: string }[]>();

beforeAll(async () => {
  statements = captureStatements();
  database = await createTestDatabase();
  keys = await createTestKeys();
  subgraph = await start(testConfig(database.url, keys.keysDir), createLogger('test', 'silent'), { background: false });
  await project(database.sql, [...acme, globex].map((vm) => vm.event('CREATED', {}, hoursAgo(5))));
  const samples: Sample[] = [];
  for (const [index, vm] of acme.slice(0, 10).entries()) {
    // An older and a newer CPU sample per VM, memory on every other VM: values unique per VM.
    samples.push({ vmId: vm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 60), value: 90 - index });
    samples.push({ vmId: vm.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 120 + index), value: index });
    const shown: { kind: MetricKind; value: number; t: string }[] = [{ kind: 'CPU_PERCENT', value: index, t: plusSeconds(hour, 120 + index).toISOString() }];
    if (index % 2 === 0) {
      samples.push({ vmId: vm.id, kind: 'MEMORY_PERCENT', t: plusSeconds(hour, 300), value: 50 + index });
      shown.push({ kind: 'MEMORY_PERCENT', value: 50 + index, t: plusSeconds(hour, 300).toISOString() });
    }
    expected.set(vm.id, shown);
  }
  samples.push({ vmId: globex.id, kind: 'CPU_PERCENT', t: plusSeconds(hour, 60), value: 77.25 });
  await writeSamples(database.sql, samples);
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
  statements?.stop();
});

describe('VM.latestMetrics through _entities', () => {
  it('runs the same few statements for 2 VMs as for 14', async () => {
    const few = await latest('acme', [acme[0]!.id, acme[1]!.id]);
    const many = await latest('acme', [...acme.map((vm) => vm.id), randomUUID(), globex.id]);
    expect(few.answer.errors).toBeUndefined();
    expect(few.statements.length).toBeGreaterThan(0);
    expect(few.statements.length).toBeLessThanOrEqual(3);
    expect(many.statements).toHaveLength(few.statements.length);
  });

  it('gives each VM its own latest samples, none to a VM without any, and nothing of another tenant’s VM', async () => {
    const unseen = randomUUID();
    const ids = [globex.id, ...acme.map((vm) => vm.id), unseen];
    const { answer } = await latest('acme', ids);
    expect(answer.errors).toBeUndefined();
    const entities = answer.data!._entities;
    expect(entities[0]).toBeNull();
    for (const [index, vm] of acme.entries()) {
      const entity = entities[index + 1]!;
      expect(entity.id).toBe(vm.id);
      expect(entity.latestMetrics.map(({ kind, value, t }) => ({ kind, value, t }))).toEqual(expected.get(vm.id) ?? []);
    }
    expect(entities.at(-1)).toEqual({ id: unseen, latestMetrics: [] });
    // One read of the stream head for the batch: every sample carries the same cursor.
    expect(new Set(entities.flatMap((entity) => entity?.latestMetrics.map((sample) => sample.cursor) ?? [])).size).toBe(1);
    expect(JSON.stringify(answer.data)).not.toContain('77.25');
    const own = await latest('globex', [globex.id, acme[0]!.id]);
    expect(own.answer.data?._entities[0]?.latestMetrics.map((sample) => sample.value)).toEqual([77.25]);
    expect(own.answer.data?._entities[1]).toBeNull();
  });
});
