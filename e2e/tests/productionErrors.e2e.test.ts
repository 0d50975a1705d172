import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, VMsDocument } from '@novacron/sdk';
import { createVmInput, startPlatform, type Platform } from '../src/index.ts';

// Production mode: what reaches clients is a code and a safe message, never SQL or a stack trace.
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ production: true, workers: 0 });
});
afterAll(async () => {
  await platform?.stop();
});

describe('errors in production mode', () => {
  it('keeps typed, client-safe errors and their fields, without stack traces', async () => {
    const response = await platform.client.execute(CreateVmDocument, { input: createVmInput({ region: 'nowhere-1' }) });
    const [error] = response.errors ?? [];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions?.field).toBe('input.region');
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|at \w+ \(/);
  });

  it('masks an internal failure (here: a broken database) as INTERNAL_SERVER_ERROR with no SQL', async () => {
    await platform.database.sql`alter table vms.vms rename to vms_moved_away`;
    try {
      const response = await platform.client.execute(VMsDocument, {});
      const [error] = response.errors ?? [];
      expect(error?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const text = JSON.stringify(response);
      expect(text).not.toMatch(/select|relation|vms_moved_away|postgres|stacktrace/i);
    } finally {
      await platform.database.sql`alter table vms.vms_moved_away rename to vms`;
    }
  });

  it('turns off introspection', async () => {
    const response = await fetch(platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.token}` },
      body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers /health and /ready on the gateway, and refuses bodies over the limit', async () => {
    const base = new URL(platform.gateway.url);
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    expect((await fetch(new URL('/ready', base))).status).toBe(200);
    const huge = await fetch(platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.token}` },
      body: JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(2_000_000) }),
    });
    expect(huge.status).toBe(413);
  });
});
