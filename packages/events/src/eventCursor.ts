import { appError } from '@novacron/errors';

/**
 * A position in an event stream: the writing transaction's id and the event's sequence number.
 * Streams are read in (txid, seq) order, and only up to the oldest transaction still in flight, so a
 * reader that resumes after a cursor never misses an event that committed late.
 */
export interface EventPosition {
  /** The stream, `<subgraph>.<name>` (`vms.vm`, `vms.operation`). */
  stream: string;
  /** PostgreSQL xid8, as a decimal string (it can exceed 2^53). */
  txid: string;
  seq: number;
}

const prefix = 'ev1';

/** Encodes a position as the opaque `cursor` clients see. */
export function encodeEventCursor(position: EventPosition): string {
  return Buffer.from(`${prefix}|${position.stream}|${position.txid}|${position.seq}`).toString('base64url');
}

/** Decodes a cursor of the given stream; anything else is a BAD_USER_INPUT on `field`. */
export function decodeEventCursor(cursor: string, stream: string, field = 'after'): EventPosition {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const [tag, cursorStream, txid, seq] = parts;
  if (parts.length !== 4 || tag !== prefix || cursorStream !== stream || !/^\d{1,20}$/.test(txid ?? '') || !/^\d{1,16}$/.test(seq ?? '')) {
    throw appError('BAD_USER_INPUT', `${field} is not a cursor of this stream`, { field });
  }
  return { stream, txid: txid as string, seq: Number(seq) };
}

/** Orders two positions of one stream: negative when `a` comes first. */
export function compareEventPositions(a: Pick<EventPosition, 'txid' | 'seq'>, b: Pick<EventPosition, 'txid' | 'seq'>): number {
  const byTxid = BigInt(a.txid) - BigInt(b.txid);
  if (byTxid !== 0n) return byTxid < 0n ? -1 : 1;
  return a.seq - b.seq;
}
