import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from 'graphql-ws';
import { openRawGraphQLSocket, postGraphQL, startPlatform, type Platform, type RawGraphQLSocket } from '../src/index.ts';

// The WebSocket path pays the same budgets as HTTP: the tenant's request budget for every operation,
// the address's budget for every connection attempt, and caps on open sockets per address and tenant.

async function connect(platform: Platform, token: string): Promise<RawGraphQLSocket> {
  const raw = await openRawGraphQLSocket(platform.gateway.url);
  raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
  return raw;
}

const codesOf = (message: Record<string, unknown>) => (message.payload as { extensions?: { code?: string } }[]).map((error) => error.extensions?.code);

describe('tenant rate limit over graphql-ws', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0, gatewayEnv: { RATE_LIMIT_POINTS: '20', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses queries over the socket past the tenant budget with RATE_LIMITED, as HTTP does', async () => {
    const token = await platform.tokenFor({ tenant: 'ws-burst', role: 'viewer' });
    const raw = await connect(platform, token);
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    for (let index = 0; index < 40; index += 1) raw.send({ id: `q${index}`, type: 'subscribe', payload: { query: '{ providers { name } }' } });
    const answered = () => raw.messages.filter((message) => message.type === 'next' || message.type === 'error');
    await raw.waitForMessage(() => answered().length === 40);
    const served = raw.messages.filter((message) => message.type === 'next');
    const refused = raw.messages.filter((message) => message.type === 'error');
    // Before the fix: 40 served, 0 refused.
    expect(served).toHaveLength(20);
    expect(refused).toHaveLength(20);
    for (const message of refused) expect(codesOf(message)).toEqual(['RATE_LIMITED']);
    expect((refused[0]?.payload as { extensions: { retryAfterSeconds: number } }[])[0]?.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // One budget for both transports: HTTP is refused now too.
    const overHttp = await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token });
    expect(overHttp.status).toBe(429);
    raw.socket.close();
  });

  it('counts subscriptions started over the socket against the same budget', async () => {
    const token = await platform.tokenFor({ tenant: 'ws-subscribers', role: 'viewer' });
    for (let index = 0; index < 20; index += 1) expect((await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token })).status).toBe(200);
    const raw = await connect(platform, token);
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { vmEvents { cursor } }' } });
    const refused = await raw.waitForMessage((message) => message.type === 'error');
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    raw.socket.close();
  });
});

describe('WebSocket connection caps', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0, gatewayEnv: { WS_MAX_CONNECTIONS_PER_ADDRESS: '4', WS_MAX_CONNECTIONS_PER_TENANT: '2' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('closes a tenant’s third socket with 4403 and a reason, and serves another tenant', async () => {
    const token = await platform.tokenFor({ tenant: 'crowded', role: 'viewer' });
    const first = await connect(platform, token);
    const second = await connect(platform, token);
    await Promise.all([first, second].map((raw) => raw.waitForMessage((message) => message.type === 'connection_ack')));
    const third = await connect(platform, token);
    const closed = await third.closed;
    expect(closed).toEqual({ code: CloseCode.Forbidden, reason: 'Too many connections for this tenant' });
    const other = await connect(platform, await platform.tokenFor({ tenant: 'quiet', role: 'viewer' }));
    await other.waitForMessage((message) => message.type === 'connection_ack');
    // A closed socket gives its slot back.
    first.socket.close();
    await first.closed;
    const again = await connect(platform, token);
    await again.waitForMessage((message) => message.type === 'connection_ack');
    for (const raw of [second, other, again]) raw.socket.close();
    await Promise.all([second, other, again].map((raw) => raw.closed));
  });

  it('refuses the upgrade past the per-address cap with HTTP 429, before any token is read', async () => {
    const sockets = await Promise.all(Array.from({ length: 4 }, () => openRawGraphQLSocket(platform.gateway.url)));
    await expect(openRawGraphQLSocket(platform.gateway.url)).rejects.toThrow(/429/);
    sockets[0]?.socket.close();
    await sockets[0]?.closed;
    const replacement = await openRawGraphQLSocket(platform.gateway.url);
    for (const raw of [...sockets.slice(1), replacement]) raw.socket.close();
  });
});

describe('per-address budget before authentication', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0, gatewayEnv: { RATE_LIMIT_ADDRESS_POINTS: '10', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('limits a flood of invalid tokens from one address, then refuses WebSocket upgrades from it too', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 12; index += 1) statuses.push((await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token: `not-a-token-${index}` })).status);
    // Before the fix every one of them was verified and answered 401.
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);
    const limited = await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token: platform.token });
    expect(limited.status).toBe(429);
    expect(limited.body?.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await expect(openRawGraphQLSocket(platform.gateway.url)).rejects.toThrow(/429/);
  });
});

describe('subscriptions over HTTP and long-lived tokens', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers a subscription sent over HTTP POST with a coded client error naming the WebSocket transport', async () => {
    const response = await postGraphQL(platform.gateway.url, { query: 'subscription { vmEvents { cursor } }' }, { token: platform.token });
    // Before the fix: HTTP 500, INTERNAL_SERVER_ERROR "Execution of subscriptions not supported by gateway".
    expect(response.status).toBe(400);
    const [error] = response.body?.errors ?? [];
    expect(error?.extensions?.code).toBe('BAD_REQUEST');
    expect(error?.extensions?.transport).toBe('graphql-transport-ws');
    expect(error?.message).toMatch(/WebSocket/);
  });

  it('serves no /metrics on the public port', async () => {
    // Before: GET /metrics answered 200 with the process's counts to anyone.
    const response = await fetch(new URL('/metrics', platform.gateway.url));
    expect(response.status).toBe(404);
  });

  it('keeps a connection whose token is valid for 30 days open (no timer overflow)', async () => {
    const token = await platform.tokenFor({ tenant: 'default', role: 'viewer' }, 30 * 24 * 3_600);
    const raw = await connect(platform, token);
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    // Before the fix the expiry timer overflowed and fired at once: 4403 "Token expired" right after the ack.
    raw.send({ id: 'q', type: 'subscribe', payload: { query: '{ providers { name } }' } });
    await raw.waitForMessage((message) => message.type === 'complete' && message.id === 'q');
    raw.send({ id: 'q2', type: 'subscribe', payload: { query: '{ providers { name } }' } });
    await raw.waitForMessage((message) => message.type === 'complete' && message.id === 'q2');
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.socket.close();
  });
});
