/** A GraphQL error as a client sees it. */
export interface ClientError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** What came back from a raw request: status, headers, and the body parsed when it is JSON. */
export interface RawGraphQLResponse {
  status: number;
  headers: Headers;
  /** The parsed body; null when it was not JSON. */
  body: { data?: Record<string, unknown> | null; errors?: ClientError[] } | null;
  text: string;
}

/** Options for {@link postGraphQL}. */
export interface PostGraphQLOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Extra or overriding headers (`content-type` included); an empty value leaves that header out. */
  headers?: Record<string, string>;
  method?: 'POST' | 'GET';
}

/**
 * Sends a request to a GraphQL endpoint without any client library in between, so tests can send
 * what no SDK would (wrong types, arrays, odd headers) and see the HTTP status and headers.
 * `payload` is JSON-encoded unless it is already a string.
 */
export async function postGraphQL(url: string, payload: unknown, options: PostGraphQLOptions = {}): Promise<RawGraphQLResponse> {
  const method = options.method ?? 'POST';
  const merged: Record<string, string> = { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const headers = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== ''));
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, ...(method === 'POST' ? { body: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}) });
  const text = await response.text();
  let body: RawGraphQLResponse['body'] = null;
  try {
    body = JSON.parse(text) as RawGraphQLResponse['body'];
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}
