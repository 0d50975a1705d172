import { sql } from 'drizzle-orm';
import { compareEventPositions } from '@novacron/events';
import type { Database } from '../db/createDatabase.ts';
import { eventStreams, type EventStreamKey } from './eventStreams.ts';

/**
 * Deletes events older than the retention window and records how far each stream was pruned, so a
 * resume from an older cursor is answered with RESYNC_REQUIRED instead of a silent gap.
 */
export async function pruneEvents(db: Database, retentionSeconds: number): Promise<Record<EventStreamKey, number>> {
  const result = { vm: 0, operation: 0 };
  for (const stream of Object.keys(eventStreams) as EventStreamKey[]) {
    const events = sql.raw(`vms.${eventStreams[stream].table}`);
    await db.transaction(async (tx) => {
      const deleted = await tx.execute<{ txid: string; seq: string | number }>(sql`
        delete from ${events}
        where created_at < now() - make_interval(secs => ${retentionSeconds})
          and txid < pg_snapshot_xmin(pg_current_snapshot())
        returning txid::text as txid, seq`);
      result[stream] = deleted.length;
      if (deleted.length === 0) return;
      const positions = deleted.map((row) => ({ txid: row.txid, seq: Number(row.seq) }));
      const last = positions.reduce((latest, position) => (compareEventPositions(position, latest) > 0 ? position : latest));
      await tx.execute(sql`
        insert into vms.event_retention (stream, pruned_through_txid, pruned_through_seq, updated_at)
        values (${stream}, ${last.txid}::xid8, ${last.seq}, now())
        on conflict (stream) do update set
          pruned_through_txid = excluded.pruned_through_txid,
          pruned_through_seq = excluded.pruned_through_seq,
          updated_at = now()
        where (vms.event_retention.pruned_through_txid, vms.event_retention.pruned_through_seq) < (excluded.pruned_through_txid, excluded.pruned_through_seq)`);
    });
  }
  return result;
}
