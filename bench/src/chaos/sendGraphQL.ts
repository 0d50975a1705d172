/** What a chaos client got back: data when the request was served, otherwise why not. */
export interface GraphQLAnswer {
  data: Record<string, unknown> | null;
  /** An error code, `HTTP <status>`, or the network error's name; null when served without errors. */
  failure: string | null;
}

/** POSTs one GraphQL request with a bearer token; never throws (a chaos client expects failures). */
export async function sendGraphQL(url: string, token: string, query: string, variables: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<GraphQLAnswer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => null)) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] } | null;
    const code = body?.errors?.[0]?.extensions?.code;
    if (code) return { data: body?.data ?? null, failure: String(code) };
    if (!response.ok || !body?.data) return { data: null, failure: `HTTP ${response.status}` };
    return { data: body.data, failure: null };
  } catch (error) {
    return { data: null, failure: error instanceof Error ? (error.name === 'TypeError' ? 'network' : error.name) : 'unknown' };
  }
}

/** Counts of each failure kind, for the report. */
export function tally(failures: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const failure of failures) counts.set(failure, (counts.get(failure) ?? 0) + 1);
  return [...counts].map(([failure, count]) => `${failure} ×${count}`).join(', ') || 'none';
}
