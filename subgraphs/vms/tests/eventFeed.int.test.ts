import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { compareEventPositions, decodeEventCursor } from '@novacron/events';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '@novacron/providers';
import { randomBytes } from 'node:crypto';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { parseCredentialKeys } from '@novacron/secrets';
import { vmsOutbox } from '../src/domain/eventStreams.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import type { VmsServices } from '../src/context.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let db: Database;
let services: VmsServices;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  db = createDatabase(sql);
  services = {
    db,
    providers: createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100 }),
    config: testConfig(database.url),
    credentialKeys: parseCredentialKeys(`t:${randomBytes(32).toString('base64')}`),
  };
});
afterAll(async () => {
  await database?.drop();
});

/** Uses up transaction ids until the next one has one more decimal digit. */
async function crossDigitBoundary(): Promise<void> {
  const [{ txid } = { txid: '0' }] = await database.sql<{ txid: string }[]>`select pg_current_xact_id()::text as txid`;
  const boundary = 10n ** BigInt(txid.length);
  for (;;) {
    const [row] = await database.sql<{ txid: string }[]>`select pg_current_xact_id()::text as txid`;
    if (BigInt(row?.txid ?? '0') >= boundary) return;
  }
}

const input = (name: string) => ({ name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' });

describe('event feed order', () => {
  it('reads events in transaction-id order when the ids gain a digit (999 before 1000)', async () => {
    const first = await requestCreate(services, 'default', input('before-boundary'), null);
    await crossDigitBoundary();
    const second = await requestCreate(services, 'default', input('after-boundary'), null);

    for (const stream of ['vm', 'operation'] as const) {
      const page = await vmsOutbox.readFeed(db, { stream, after: Buffer.from(`ev1|vms.${stream}|0|0`).toString('base64url'), first: 1000 });
      const positions = page.entries.map((entry) => decodeEventCursor(entry.cursor, `vms.${stream}`));
      expect(positions.length).toBeGreaterThanOrEqual(2);
      for (let index = 1; index < positions.length; index += 1) {
        expect(compareEventPositions(positions[index - 1]!, positions[index]!), `${stream} entry ${index}`).toBeLessThan(0);
      }
      expect(page.endCursor).toBe(page.entries.at(-1)?.cursor);
      const entities = page.entries.map((entry) => entry.entityId);
      const [firstId, secondId] = stream === 'vm' ? [first.vmId, second.vmId] : [first.id, second.id];
      expect(entities.indexOf(firstId)).toBeLessThan(entities.indexOf(secondId));
    }

    const head = await vmsOutbox.readFeed(db, { stream: 'operation', first: 1 });
    const latest = (await vmsOutbox.readFeed(db, { stream: 'operation', entityId: second.id, first: 10 })).entries.at(-1);
    expect(decodeEventCursor(head.endCursor, 'vms.operation')).toEqual(decodeEventCursor(latest?.cursor ?? '', 'vms.operation'));
  });
});
