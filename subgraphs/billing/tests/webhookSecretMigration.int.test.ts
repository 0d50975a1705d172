import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { billingMigrationsFolder } from '../src/db/migrateBilling.ts';
import { deliverDueWebhooks, verifyWebhookSignature } from '../src/domain/budgetWebhooks.ts';
import { start } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

/**
 * An upgrade as a deployment lives it: a database at migration 0000 with a webhook whose secret is in
 * plaintext, then the new billing subgraph starts (migrations 0001+, then its start-up encryption).
 */
let database: TestDatabase;
let running: Awaited<ReturnType<typeof start>> | undefined;
let oldMigrations: string;
const secret = 'pre-upgrade-secret-0123456789';
const received: Array<{ body: string; header: string }> = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({ body: Buffer.concat(chunks).toString('utf8'), header: String(request.headers['x-novacron-signature'] ?? '') });
    response.statusCode = 204;
    response.end();
  });
});

beforeAll(async () => {
  database = await createTestDatabase();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // The committed migrations as they were before 0001: 0000 and a journal that lists only it.
  oldMigrations = await mkdtemp(join(tmpdir(), 'novacron-billing-0000-'));
  await cp(billingMigrationsFolder, oldMigrations, { recursive: true });
  const journalFile = join(oldMigrations, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  journal.entries = journal.entries.filter((entry) => entry.tag === '0000_init');
  await writeFile(journalFile, JSON.stringify(journal));
  await migrate(database.url, { migrationsFolder: oldMigrations, schema: 'billing' });
  const { port } = receiver.address() as AddressInfo;
  await database.sql`insert into billing.budget_webhooks (tenant_id, url, secret) values ('acme', ${`http://127.0.0.1:${port}/hook`}, ${secret})`;
});
afterAll(async () => {
  await running?.stop();
  await new Promise((resolve) => receiver.close(resolve));
  await database?.drop();
  if (oldMigrations) await rm(oldMigrations, { recursive: true, force: true });
});

describe('upgrading a database whose webhook secrets are in plaintext', () => {
  it('encrypts them when the subgraph starts, and deliveries are still signed with the same secret', async () => {
    const keys = await createTestKeys();
    running = await start(testConfig(database.url, keys.keysDir), createLogger('billing', 'silent'), { tasks: false });
    const [row] = await database.sql`select * from billing.budget_webhooks where tenant_id = 'acme'`;
    expect(row).toMatchObject({ plaintext_secret: null, secret_key_id: 'dev' });
    expect(JSON.stringify(row)).not.toContain(secret);

    await database.sql`insert into billing.webhook_deliveries (tenant_id, webhook_id, url, event_type, body) values ('acme', ${row!.id}, ${row!.url}, 'budget.test', '{"id":"upgrade"}')`;
    expect(await deliverDueWebhooks(running.services.db, running.services.secretKeys, { now: new Date() })).toBe(1);
    expect(received).toHaveLength(1);
    const timestamp = Number(/t=(\d+)/.exec(received[0]!.header)![1]);
    expect(verifyWebhookSignature(secret, received[0]!.header, received[0]!.body, { now: timestamp })).toBe(true);
  });
});
