import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { requestCreate } from '../src/domain/requestOperation.ts';
import type { VmsServices } from '../src/context.ts';
import { claimOperation } from '../src/worker/claimOperation.ts';
import { createLeaseKeeper } from '../src/worker/startLeaseHeartbeat.ts';
import { migratedTestServices, type MigratedTestServices } from './support/migratedTestServices.ts';

let setup: MigratedTestServices | undefined;
let database: TestDatabase;
let services: VmsServices;
const input = { provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' };

beforeAll(async () => {
  setup = await migratedTestServices();
  ({ database, services } = setup);
});
afterAll(async () => {
  await setup?.drop();
});

/** Claims a new create's operation as `worker`; returns its id and lease epoch. */
async function claimedCreate(name: string, worker: string): Promise<{ id: string; epoch: number }> {
  const accepted = await requestCreate(services, 'default', { ...input, name }, null);
  const claimed = await claimOperation(services.db, accepted.id, worker, 30);
  if (!claimed) throw new Error(`could not claim ${accepted.id}`);
  return { id: claimed.id, epoch: claimed.leaseEpoch };
}

/** Seconds until each operation's lease expires. */
async function leaseLeft(ids: string[]): Promise<Map<string, number>> {
  const rows = await database.sql<{ id: string; left: number }[]>`
    select id, extract(epoch from lease_expires_at - now())::float8 as left from vms.operations where id = any(${ids}::uuid[])`;
  return new Map(rows.map((row) => [row.id, row.left]));
}

describe('the lease keeper', () => {
  it('renews every lease it holds together, marks the ones taken away as lost, and forgets stopped ones', async () => {
    const keeper = createLeaseKeeper(services.db, 30, createLogger('test', 'silent'));
    try {
      const [kept, taken, stopped] = await Promise.all([claimedCreate('lease-1', 'w1'), claimedCreate('lease-2', 'w1'), claimedCreate('lease-3', 'w1')]);
      const keptLease = keeper.hold(kept!.id, kept!.epoch);
      const takenLease = keeper.hold(taken!.id, taken!.epoch);
      const stoppedLease = keeper.hold(stopped!.id, stopped!.epoch);
      expect(keeper.held).toBe(3);
      const ids = [kept!.id, taken!.id, stopped!.id];
      // Every lease is about to lapse; another worker re-drove one of them meanwhile (a new epoch).
      await database.sql`update vms.operations set lease_expires_at = now() + interval '1 second' where id = any(${ids}::uuid[])`;
      await database.sql`update vms.operations set lease_epoch = lease_epoch + 1, lease_owner = 'w2' where id = ${taken!.id}`;
      stoppedLease.stop();
      expect(keeper.held).toBe(2);

      await keeper.renew();

      const left = await leaseLeft(ids);
      expect(left.get(kept!.id)).toBeGreaterThan(20);
      expect(keptLease.lost).toBe(false);
      expect(takenLease.lost).toBe(true);
      // The other worker's lease is not this keeper's to extend.
      expect(left.get(taken!.id)).toBeLessThan(2);
      expect(left.get(stopped!.id)).toBeLessThan(2);
      expect(stoppedLease.lost).toBe(false);
    } finally {
      keeper.stop();
    }
  });

  it('keeps a lease claimed again under a new epoch, and does not mark the new hold lost for the old one', async () => {
    const keeper = createLeaseKeeper(services.db, 30, createLogger('test', 'silent'));
    try {
      const first = await claimedCreate('lease-4', 'w1');
      const old = keeper.hold(first.id, first.epoch);
      old.stop();
      // Released and claimed again by this process (a re-drive that came back to it).
      await database.sql`update vms.operations set lease_owner = null, lease_expires_at = now() - interval '1 second' where id = ${first.id}`;
      const again = await claimOperation(services.db, first.id, 'w1', 30);
      expect(again?.leaseEpoch).toBe(first.epoch + 1);
      const current = keeper.hold(first.id, again!.leaseEpoch);
      await database.sql`update vms.operations set lease_expires_at = now() + interval '1 second' where id = ${first.id}`;
      await keeper.renew();
      expect(current.lost).toBe(false);
      expect((await leaseLeft([first.id])).get(first.id)).toBeGreaterThan(20);
    } finally {
      keeper.stop();
    }
  });
});
