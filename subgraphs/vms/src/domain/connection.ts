import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';

/** A Relay connection as resolvers return it. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Page arguments after validation. */
export interface PageRequest {
  limit: number;
  after: { createdAt: string; id: string } | null;
}

/** Validates `first` and `after`. */
export function pageRequest(first: number | null | undefined, after: string | null | undefined): PageRequest {
  return { limit: pageSize('first', first), after: after ? decodeCursor('after', after) : null };
}

/** Builds a connection from up to `limit + 1` rows ordered by (createdAt, id). */
export function toConnection<T extends { createdAt: Date; id: string }>(rows: T[], limit: number, totalCount: number): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}
