import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, NovaCronRequestError, VMsDocument, OperationsDocument, waitForOperation, type VMsQuery } from '@novacron/sdk';
import { countRows, createVmInput, providerInstancesFor, startPlatform, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

describe('idempotency keys', () => {
  it('returns one operation and makes one VM when the same key is sent 5 times concurrently', async () => {
    const input = createVmInput();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => platform.client.request(CreateVmDocument, { input, idempotencyKey: 'same-key-5x' })),
    );
    const operationIds = new Set(results.map((result) => result.createVM.id));
    const vmIds = new Set(results.map((result) => result.createVM.vm?.id));
    expect(operationIds.size).toBe(1);
    expect(vmIds.size).toBe(1);
    const [operationId] = operationIds;
    const done = await waitForOperation(platform.client, operationId ?? '', { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    const [named] = await platform.database.sql<{ n: number }[]>`select count(*)::int as n from vms.vms where name = ${input.name}`;
    expect(named?.n).toBe(1);
    expect(await providerInstancesFor(platform.database.sql, operationId ?? '')).toBe(1);
  });

  it('returns the first operation when a finished request is replayed with its key', async () => {
    const input = createVmInput();
    const first = await platform.client.request(CreateVmDocument, { input, idempotencyKey: 'replay-later' });
    await waitForOperation(platform.client, first.createVM.id, { intervalMs: 50 });
    const replay = await platform.client.request(CreateVmDocument, { input, idempotencyKey: 'replay-later' });
    expect(replay.createVM.id).toBe(first.createVM.id);
    expect(replay.createVM.status).toBe('SUCCEEDED');
  });

  it('answers CONFLICT and writes nothing when a key is reused with a different input', async () => {
    const key = 'reused-key';
    const first = await platform.client.request(CreateVmDocument, { input: createVmInput(), idempotencyKey: key });
    // Let the worker finish, so its own writes do not change the counts below.
    await waitForOperation(platform.client, first.createVM.id, { intervalMs: 50 });
    const before = await countRows(platform.database.sql);
    const error = await platform.client.request(CreateVmDocument, { input: createVmInput(), idempotencyKey: key }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NovaCronRequestError);
    expect((error as NovaCronRequestError).code).toBe('CONFLICT');
    expect((error as NovaCronRequestError).errors[0]?.extensions?.field).toBe('idempotencyKey');
    expect(await countRows(platform.database.sql)).toEqual(before);
  });
});

describe('pagination', () => {
  it('pages through 250 VMs with stable cursors, no gaps and no repeats, while they change', async () => {
    const batch = `page-${Date.now().toString(36)}`;
    const created = await Promise.all(
      Array.from({ length: 250 }, (_, index) =>
        platform.client.request(CreateVmDocument, {
          input: createVmInput({ name: `${batch}-${index}`, labels: { batch, parity: index % 2 === 0 ? 'even' : 'odd' } }),
        }),
      ),
    );
    const expectedIds = new Set(created.map((result) => result.createVM.vm?.id));
    expect(expectedIds.size).toBe(250);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { vms }: VMsQuery = await platform.client.request(VMsDocument, { filter: { labels: [{ key: 'batch', value: batch }] }, first: 100, after });
      expect(vms.totalCount).toBe(250);
      seen.push(...vms.edges.map((edge) => edge.node.id));
      pages += 1;
      if (!vms.pageInfo.hasNextPage) break;
      after = vms.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(250);
    expect(new Set(seen)).toEqual(expectedIds);

    const { vms: evens } = await platform.client.request(VMsDocument, {
      filter: { labels: [{ key: 'batch', value: batch }, { key: 'parity', value: 'even' }] },
      first: 500,
    });
    expect(evens.totalCount).toBe(125);
    const { vms: byName } = await platform.client.request(VMsDocument, { filter: { nameContains: `${batch}-24` }, first: 50 });
    // 24 and 240..249
    expect(byName.totalCount).toBe(11);
    const { vms: byRegion } = await platform.client.request(VMsDocument, { filter: { region: 'eu-west-1' } });
    expect(byRegion.totalCount).toBe(0);
  });

  it('filters operations by kind and status', async () => {
    const { operations } = await platform.client.request(OperationsDocument, { filter: { kind: ['CREATE'] }, first: 500 });
    expect(operations.totalCount).toBeGreaterThan(250);
    expect(operations.edges.every((edge) => edge.node.kind === 'CREATE')).toBe(true);
    const { operations: deletes } = await platform.client.request(OperationsDocument, { filter: { kind: ['DELETE'] } });
    expect(deletes.totalCount).toBe(0);
  });
});
