/**
 * Keyset pagination for Relay connections ordered by (createdAt, id): cursors stay stable while rows
 * are added or change, and a page costs an index range scan whatever its depth.
 */
import { and, eq, gt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { badInput } from '@novacron/errors';

/** A position in a list ordered by (createdAt, id). */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

/** A Relay connection as resolvers return it. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Page arguments after validation. */
export interface PageRequest {
  limit: number;
  after: CursorPosition | null;
}

export const maxPageSize = 500;

/** Encodes a position as an opaque cursor. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Decodes a cursor from `field`; a malformed one is a BAD_USER_INPUT on that field. */
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

/** Validates a page size: 1 to 500. */
export function pageSize(field: string, first: number | null | undefined, fallback = 50): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) throw badInput(field, `${field} must be between 1 and ${maxPageSize}`);
  return size;
}

/** Validates `first` and `after`. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): PageRequest {
  return { limit: pageSize('first', first), after: after ? decodeCursor('after', after) : null };
}

/** The condition "after this position" on a table's (createdAt, id) columns; undefined on the first page. */
export function afterPosition(columns: { createdAt: AnyColumn; id: AnyColumn }, after: CursorPosition | null): SQL | undefined {
  if (!after) return undefined;
  const createdAt = new Date(after.createdAt);
  return or(gt(columns.createdAt, createdAt), and(eq(columns.createdAt, createdAt), gt(columns.id, after.id)));
}

/** Builds a connection from up to `limit + 1` rows ordered by (createdAt, id). */
export function toConnection<T extends { createdAt: Date; id: string }>(rows: T[], limit: number, totalCount: number): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}
