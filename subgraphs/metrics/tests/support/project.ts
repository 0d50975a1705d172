import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from '@novacron/db';
import { applyVmEvents } from '../../src/domain/applyVmEvents.ts';
import type { VmEvent } from '../../src/domain/VmEvent.ts';

/** Applies VM events to the projection in one transaction, as the stream follower does. */
export async function project(sql: Sql, events: readonly VmEvent[]): Promise<void> {
  await drizzle(sql).transaction((tx) => applyVmEvents(tx, events));
}
