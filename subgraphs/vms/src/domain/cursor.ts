import { badInput } from '@novacron/errors';

/** A position in a list ordered by (createdAt, id): stable while rows are added or change. */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

/** Encodes a position as an opaque cursor. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Decodes a cursor from `after`; a malformed one is a BAD_USER_INPUT on that field. */
export function decodeCursor(field: string, cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      const [createdAt, id] = parsed as [string, string];
      if (!Number.isNaN(Date.parse(createdAt)) && /^[0-9a-f-]{36}$/i.test(id)) return { createdAt, id };
    }
  } catch {
    // fall through to the error below
  }
  throw badInput(field, `${field} is not a valid cursor`);
}

export const maxPageSize = 500;

/** Validates a page size: 1 to 500. */
export function pageSize(field: string, first: number | null | undefined, fallback = 50): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) throw badInput(field, `${field} must be between 1 and ${maxPageSize}`);
  return size;
}
