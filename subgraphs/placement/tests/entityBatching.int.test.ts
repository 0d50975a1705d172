import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { createLogger } from '@novacron/server-kit';
import { captureStatements, createTestDatabase, type StatementCapture, type TestDatabase } from '@novacron/testing';
import { placeForOperation, type PlacementDecision } from '../src/domain/decisionStore.ts';
import { validateRequirements } from '../src/domain/validateRequirements.ts';
import { start, type RunningPlacementSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningPlacementSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let statements: StatementCapture;

const placementQuery = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on VM { id placement { id reason chosen { provider region instanceType } } } } }`;
type Placed = { id: string; placement: { id: string; reason: string; chosen: { provider: string; region: string; instanceType: string } | null } | null };
interface Answer {
  data?: { _entities: Placed[] } | null;
  errors?: { message: string }[];
}

/** Asks for the placement of `ids` as a viewer of `tenant`; returns the answer and the statements the request ran. */
async function placements(tenant: string, ids: string[]): Promise<{ answer: Answer; statements: string[] }> {
  const { traceparent, traceId } = statements.newTrace();
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent, [internalTokenHeader]: await keys.forUser(tenant, 'viewer') },
    body: JSON.stringify({ query: placementQuery, variables: { reps: ids.map((id) => ({ __typename: 'VM', id })) } }),
  });
  return { answer: (await response.json()) as Answer, statements: statements.statementsOf(traceId) };
}

const placed = new Map<string, PlacementDecision>();
const unplaced: string[] = [];
let foreign = '';

beforeAll(async () => {
  statements = captureStatements();
  database = await createTestDatabase();
  keys = await createTestKeys();
  subgraph = await start(testConfig(database.url, keys.keysDir), createLogger('test', 'silent'));
  const { db, catalog, config } = subgraph.services;
  const place = (tenantId: string, region: string) => {
    const requirements = validateRequirements(catalog, { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: [region] });
    return placeForOperation(db, catalog, { tenantId, operationId: randomUUID(), vmId: randomUUID(), requirements, windows: config.placement, reservationTtlSeconds: 600 });
  };
  for (const region of ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'us-east-2']) {
    const decision = await place('acme', region);
    placed.set(decision.vmId!, decision);
  }
  for (let index = 0; index < 10; index += 1) unplaced.push(randomUUID());
  foreign = (await place('globex', 'us-east-1')).vmId!;
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
  statements?.stop();
});

describe('VM.placement through _entities', () => {
  it('reads the decisions of every VM of the batch in one statement', async () => {
    const few = await placements('acme', [...placed.keys()].slice(0, 2));
    const many = await placements('acme', [...placed.keys(), ...unplaced, foreign]);
    expect(few.answer.errors).toBeUndefined();
    expect(many.answer.errors).toBeUndefined();
    for (const run of [few, many]) expect(run.statements.filter((text) => text.includes('"decisions"'))).toHaveLength(1);
    expect(many.statements).toHaveLength(few.statements.length);
  });

  it('gives each VM its own decision, null for a VM placed explicitly, and null for another tenant’s VM', async () => {
    const ids = [foreign, ...[...placed.keys()].flatMap((id, index) => [id, unplaced[index]!]), 'not-a-uuid'];
    const { answer } = await placements('acme', ids);
    expect(answer.errors).toBeUndefined();
    const entities = answer.data!._entities;
    expect(entities.map((entity) => entity.id)).toEqual(ids);
    for (const entity of entities) {
      const decision = placed.get(entity.id);
      if (!decision) {
        expect(entity.placement).toBeNull();
        continue;
      }
      expect(entity.placement).toEqual({
        id: decision.id,
        reason: decision.reason,
        chosen: { provider: decision.chosen!.provider, region: decision.chosen!.region, instanceType: decision.chosen!.instanceType },
      });
    }
    expect(new Set(entities.map((entity) => entity.placement?.chosen?.region).filter(Boolean)).size).toBe(placed.size);
    // globex sees its own decision with the same loader code, in its own request.
    const globex = await placements('globex', [foreign, [...placed.keys()][0]!]);
    expect(globex.answer.data?._entities.map((entity) => entity.placement?.chosen?.region ?? null)).toEqual(['us-east-1', null]);
  });
});
