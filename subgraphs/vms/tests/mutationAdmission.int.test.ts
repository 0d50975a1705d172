import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { AppError } from '@novacron/errors';
import { createLogger } from '@novacron/server-kit';
import { internalTokenHeader } from '@novacron/auth';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { createMutationAdmission } from '../src/domain/createMutationAdmission.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('mutation admission', () => {
  it('refuses a mutation beyond the queue at once with OVERLOADED and a retry delay', async () => {
    const admission = createMutationAdmission({ maxConcurrent: 1, maxQueued: 1, maxQueueMs: 60_000, retryAfterSeconds: 3 });
    const release = deferred();
    const first = admission.run(() => release.promise.then(() => 'first'));
    const second = admission.run(async () => 'second');
    const third = await admission.run(async () => 'third').catch((error: unknown) => error);
    expect(third).toBeInstanceOf(AppError);
    expect((third as AppError).extensions).toMatchObject({ code: 'OVERLOADED', reason: 'QUEUE_FULL', retryAfterSeconds: 3 });
    expect(admission.executing).toBe(1);
    expect(admission.queued).toBe(1);
    release.resolve();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  it('refuses a queued mutation that waited past the queue-time bound, and never runs it', async () => {
    const admission = createMutationAdmission({ maxConcurrent: 1, maxQueued: 10, maxQueueMs: 20, retryAfterSeconds: 1 });
    const release = deferred();
    const first = admission.run(() => release.promise);
    let ran = false;
    const waited = await admission
      .run(async () => {
        ran = true;
      })
      .catch((error: unknown) => error);
    expect((waited as AppError).extensions).toMatchObject({ code: 'OVERLOADED', reason: 'QUEUE_TIMEOUT' });
    release.resolve();
    await first;
    expect(await admission.run(async () => 'after')).toBe('after');
    expect(ran).toBe(false);
  });
});

describe('admission on the vms subgraph', () => {
  let database: TestDatabase;
  let subgraph: RunningVmsSubgraph;
  let sql: Sql;
  let operatorToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const keys = await createTestKeys();
    operatorToken = await keys.forUser('default', 'operator');
    subgraph = await start(
      testConfig(database.url, {
        admission: { maxConcurrent: 1, maxQueued: 0, maxQueueMs: 10_000, retryAfterSeconds: 2 },
        security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: keys.keysDir },
      }),
      createLogger('test', 'silent'),
    );
    sql = createSql(database.url, { max: 2 });
  });
  afterAll(async () => {
    await sql?.end();
    await subgraph?.stop();
    await database?.drop();
  });

  async function createVm(name: string): Promise<{ data?: { createVM?: { id: string } } | null; errors?: { extensions?: Record<string, unknown> }[] }> {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [internalTokenHeader]: operatorToken },
      body: JSON.stringify({
        query: 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }',
        variables: { input: { name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' } },
      }),
    });
    return (await response.json()) as never;
  }

  it('answers a flood over a tiny limit with OVERLOADED for the excess, writing nothing for them', async () => {
    // Hold the first admitted create inside the database so the flood arrives while its slot is taken.
    // The lock must be held before that create is sent: its one statement can otherwise commit first,
    // leaving its slot free (and the poll below waiting for a slot that was taken and given back).
    const holder = deferred();
    const locked = deferred();
    const held = sql.begin(async (tx) => {
      await tx`lock table vms.operations in exclusive mode`;
      locked.resolve();
      await holder.promise;
    });
    let flood: Awaited<ReturnType<typeof createVm>>[];
    let first: ReturnType<typeof createVm>;
    try {
      await locked.promise;
      first = createVm('flood-first');
      // A wait for the state, not a bound on speed: on a loaded machine the request may take seconds to reach admission.
      await expect.poll(() => subgraph.services.admission?.executing, { timeout: 30_000 }).toBe(1);
      flood = await Promise.all(Array.from({ length: 10 }, (_, index) => createVm(`flood-${index}`)));
    } finally {
      // Never leave the table locked: the suite's clean-up would wait on it.
      holder.resolve();
      await held;
    }
    const admitted = await first;

    expect(admitted.errors).toBeUndefined();
    expect(admitted.data?.createVM?.id).toBeTruthy();
    for (const refused of flood) {
      expect(refused.data?.createVM ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 2 });
    }
    const [row] = await sql<{ count: number }[]>`select count(*)::int as count from vms.vms where name like 'flood-%'`;
    expect(row!.count).toBe(1);
  });
});
