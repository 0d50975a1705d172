import type { Database } from '../db/createDatabase.ts';
import { vmsOutbox } from './eventStreams.ts';

/**
 * Deletes events older than the retention window and records how far each stream was pruned, so a
 * resume from an older cursor is answered with RESYNC_REQUIRED instead of a silent gap.
 */
export function pruneEvents(db: Database, retentionSeconds: number): Promise<Record<string, number>> {
  return vmsOutbox.prune(db, retentionSeconds);
}
