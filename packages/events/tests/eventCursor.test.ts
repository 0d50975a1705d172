import { describe, expect, it } from 'vitest';
import { AppError } from '@novacron/errors';
import { compareEventPositions, decodeEventCursor, encodeEventCursor } from '../src/index.ts';

describe('event cursors', () => {
  it('round-trip a position, including transaction ids beyond 2^53', () => {
    const position = { stream: 'vms.vm', txid: '18446744073709551000', seq: 42 };
    expect(decodeEventCursor(encodeEventCursor(position), 'vms.vm')).toEqual(position);
  });

  it('refuse a cursor of another stream or a tampered one, naming the field', () => {
    const cursor = encodeEventCursor({ stream: 'vms.operation', txid: '1', seq: 1 });
    for (const bad of [cursor, 'garbage', Buffer.from('ev1|vms.vm|x|1').toString('base64url')]) {
      try {
        decodeEventCursor(bad, 'vms.vm', 'after');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
    }
  });

  it('order positions by transaction id first, then sequence', () => {
    expect(compareEventPositions({ txid: '9', seq: 100 }, { txid: '10', seq: 1 })).toBeLessThan(0);
    expect(compareEventPositions({ txid: '10', seq: 2 }, { txid: '10', seq: 1 })).toBeGreaterThan(0);
    expect(compareEventPositions({ txid: '10', seq: 1 }, { txid: '10', seq: 1 })).toBe(0);
  });
});
