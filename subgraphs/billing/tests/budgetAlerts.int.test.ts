import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { parseCredentialKeys } from '@novacron/secrets';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { createBudget } from '../src/domain/budgets.ts';
import { deliverDueWebhooks, listWebhookDeliveries, setBudgetWebhook, verifyWebhookSignature } from '../src/domain/budgetWebhooks.ts';
import { evaluateBudgetAlerts } from '../src/domain/evaluateBudgetAlerts.ts';
import { encryptPlaintextWebhookSecrets } from '../src/domain/webhookSecretCipher.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { createBillingDatabase } from './support/billingDatabase.ts';
import { vmEventStream } from './support/vmEventStream.ts';

const catalog = loadCatalog();
const keys = parseCredentialKeys(`test-1:${randomBytes(32).toString('base64')}`);
let database: Awaited<ReturnType<typeof createBillingDatabase>>;

/** A webhook receiver that checks each signature itself (plain node:crypto) and answers 500 to the first request. */
const received: Array<{ headers: IncomingHttpHeaders; body: string; signatureValid: boolean }> = [];
const secret = 'test-secret-0123456789abcdef';
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const header = String(request.headers['x-novacron-signature'] ?? '');
    const [, timestamp, digest] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    received.push({ headers: request.headers, body, signatureValid: digest === expected });
    response.statusCode = received.length === 1 ? 500 : 204;
    response.end();
  });
});

beforeAll(async () => {
  database = await createBillingDatabase();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await database?.drop();
});

const tenant = 'alerts';
/**
 * The delivery clock: deliveries are queued due at the database's `now()`, so the times handed to
 * `deliverDueWebhooks` are taken from the real clock (fixed dates went stale: they stopped being
 * later than `now()` on the day they named, and the tests then found nothing due).
 */
const deliveryClock = Date.now() + 60_000;
const hoursLater = (hours: number) => new Date(deliveryClock + hours * 3_600_000);

describe('budget alerts', () => {
  it('fires each threshold once per period, as an outbox event and a webhook delivery', async () => {
    const vm = vmEventStream({ tenantId: tenant, provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
    vm.created('2026-11-01T00:00:00Z');
    vm.running('2026-11-01T00:00:00Z');
    await database.db.transaction((tx) => applyVmEvents(tx, vm.events, catalog));
    const { port } = receiver.address() as AddressInfo;
    await setBudgetWebhook(database.db, keys, tenant, { url: `http://127.0.0.1:${port}/hooks/budget`, secret });
    const budget = await createBudget(database.db, tenant, {
      name: 'prod',
      amount: '100',
      scope: { providers: ['aws'] },
      thresholds: [
        { percent: 50, basis: 'ACTUAL' },
        { percent: 60, basis: 'FORECAST' },
        { percent: 90, basis: 'ACTUAL' },
      ],
      action: 'ALERT',
    });
    // Nov 16: spent $34.88 (< 50 %), forecast $69.75 (≥ 60 %).
    const first = await evaluateBudgetAlerts(database.db, tenant, epochSeconds('2026-11-16T00:00:00Z'));
    expect(first.map((alert) => [alert.basis, alert.thresholdPercent])).toEqual([['FORECAST', 60]]);
    expect(first[0]).toMatchObject({ budgetId: budget.id, spent: '34.875615', forecast: '69.751230', amount: '100.000000' });
    expect(await evaluateBudgetAlerts(database.db, tenant, epochSeconds('2026-11-16T06:00:00Z'))).toEqual([]);
    // Nov 23: 22 days × (2,304,000 + 21,041) = $51.150902 spent: the 50 % actual threshold, once.
    const second = await evaluateBudgetAlerts(database.db, tenant, epochSeconds('2026-11-23T00:00:00Z'));
    expect(second.map((alert) => [alert.basis, alert.thresholdPercent, alert.spent])).toEqual([['ACTUAL', 50, '51.150902']]);
    expect(await evaluateBudgetAlerts(database.db, tenant, epochSeconds('2026-11-24T00:00:00Z'))).toEqual([]);
    // A new period: the forecast threshold fires again in December.
    const december = await evaluateBudgetAlerts(database.db, tenant, epochSeconds('2026-12-02T12:00:00Z'));
    expect(december.map((alert) => [alert.basis, alert.thresholdPercent, alert.periodStart])).toEqual([['FORECAST', 60, '2026-12-01T00:00:00.000Z']]);
    const events = await database.sql`select type, keys[2] as entity_id, payload from billing.alert_events where tenant_id = ${tenant} order by seq`;
    expect(events.map((event) => [event.type, event.entity_id, event.payload.basis])).toEqual([
      ['THRESHOLD_CROSSED', budget.id, 'FORECAST'],
      ['THRESHOLD_CROSSED', budget.id, 'ACTUAL'],
      ['THRESHOLD_CROSSED', budget.id, 'FORECAST'],
    ]);
  });

  it('delivers signed webhooks at least once, retrying after a 500 with backoff and the same delivery id', async () => {
    const now = hoursLater(0);
    expect(await deliverDueWebhooks(database.db, keys, { now })).toBe(3);
    expect(received.map((request) => request.signatureValid)).toEqual([true, true, true]);
    // The first request got a 500: not due again until 30 s later.
    expect(await deliverDueWebhooks(database.db, keys, { now: new Date(now.getTime() + 29_000) })).toBe(0);
    expect(await deliverDueWebhooks(database.db, keys, { now: new Date(now.getTime() + 30_000) })).toBe(1);
    expect(received).toHaveLength(4);
    expect(received[3]!.headers['x-novacron-delivery']).toBe(received[0]!.headers['x-novacron-delivery']);
    expect(received[3]!.body).toBe(received[0]!.body);
    expect(received[3]!.signatureValid).toBe(true);
    const body = JSON.parse(received[0]!.body) as { type: string; data: { kind: string } };
    expect(body).toMatchObject({ type: 'budget.threshold_crossed', data: { kind: 'THRESHOLD_CROSSED' } });
    const history = await listWebhookDeliveries(database.db, tenant, 10);
    expect(history.map((delivery) => delivery.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(history.find((delivery) => delivery.id === received[0]!.headers['x-novacron-delivery'])).toMatchObject({ attempts: 2, lastStatusCode: 204 });
    expect(await listWebhookDeliveries(database.db, 'someone-else', 10)).toEqual([]);
  });

  it('stores the secret encrypted: no column holds it, and another tenant’s row cannot borrow its ciphertext to sign', async () => {
    const [row] = await database.sql`select * from billing.budget_webhooks where tenant_id = ${tenant}`;
    expect(row).toMatchObject({ secret_key_id: 'test-1', plaintext_secret: null });
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(Buffer.from(String(row!.secret_ciphertext), 'base64').toString('latin1')).not.toContain(secret);
    // The ciphertext copied onto another tenant's webhook no longer decrypts (the tenant is its associated data).
    await database.sql`
      insert into billing.budget_webhooks (tenant_id, url, secret_key_id, secret_nonce, secret_ciphertext, secret_auth_tag)
      values ('thief', ${row!.url}, ${row!.secret_key_id}, ${row!.secret_nonce}, ${row!.secret_ciphertext}, ${row!.secret_auth_tag})`;
    const [thief] = await database.sql`select id from billing.budget_webhooks where tenant_id = 'thief'`;
    await database.sql`insert into billing.webhook_deliveries (tenant_id, webhook_id, url, event_type, body) values ('thief', ${thief!.id}, ${row!.url}, 'budget.test', '{}')`;
    const sentBefore = received.length;
    expect(await deliverDueWebhooks(database.db, keys, { now: hoursLater(1) })).toBe(1);
    expect(received).toHaveLength(sentBefore);
    const [failed] = await listWebhookDeliveries(database.db, 'thief', 1);
    expect(failed).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null, lastError: 'the webhook secret cannot be decrypted (unknown key or altered row)' });
    await database.sql`delete from billing.webhook_deliveries where tenant_id = 'thief'`;
    await database.sql`delete from billing.budget_webhooks where tenant_id = 'thief'`;
  });

  it('encrypts a secret stored in plaintext before migration 0001, and its deliveries still verify', async () => {
    const legacySecret = 'legacy-secret-0123456789abcdef';
    const legacyReceived: Array<{ body: string; header: string }> = [];
    const legacyReceiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        legacyReceived.push({ body: Buffer.concat(chunks).toString('utf8'), header: String(request.headers['x-novacron-signature'] ?? '') });
        response.statusCode = 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => legacyReceiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = legacyReceiver.address() as AddressInfo;
      // The row as migration 0001 leaves one written before it: the old column renamed, the secret in it.
      await database.sql`insert into billing.budget_webhooks (tenant_id, url, plaintext_secret) values ('legacy', ${`http://127.0.0.1:${port}/hook`}, ${legacySecret})`;
      expect(await encryptPlaintextWebhookSecrets(database.db, keys)).toBe(1);
      expect(await encryptPlaintextWebhookSecrets(database.db, keys)).toBe(0);
      const [row] = await database.sql`select * from billing.budget_webhooks where tenant_id = 'legacy'`;
      expect(row).toMatchObject({ plaintext_secret: null, secret_key_id: 'test-1' });
      expect(JSON.stringify(row)).not.toContain(legacySecret);
      await database.sql`insert into billing.webhook_deliveries (tenant_id, webhook_id, url, event_type, body) values ('legacy', ${row!.id}, ${row!.url}, 'budget.test', '{"id":"x"}')`;
      expect(await deliverDueWebhooks(database.db, keys, { now: hoursLater(2) })).toBe(1);
      expect(legacyReceived).toHaveLength(1);
      const timestamp = Number(/t=(\d+)/.exec(legacyReceived[0]!.header)![1]);
      expect(verifyWebhookSignature(legacySecret, legacyReceived[0]!.header, legacyReceived[0]!.body, { now: timestamp })).toBe(true);
    } finally {
      await new Promise((resolve) => legacyReceiver.close(resolve));
    }
  });

  it('verifies signatures with the exported helper and rejects a replay outside the window', () => {
    const sample = received[0]!;
    const header = String(sample.headers['x-novacron-signature']);
    const timestamp = Number(/t=(\d+)/.exec(header)![1]);
    expect(verifyWebhookSignature(secret, header, sample.body, { now: timestamp + 10 })).toBe(true);
    expect(verifyWebhookSignature(secret, header, `${sample.body} `, { now: timestamp + 10 })).toBe(false);
    expect(verifyWebhookSignature(secret, header, sample.body, { now: timestamp + 3600 })).toBe(false);
  });

  it('refuses webhook URLs that are not http(s), carry credentials, or (in production) are plain http or internal', async () => {
    const refusal = (url: string, production = false) =>
      setBudgetWebhook(database.db, keys, 'hooks', { url }, { production }).then(
        () => undefined,
        (error: { extensions: Record<string, unknown> }) => error.extensions,
      );
    expect(await refusal('ftp://example.com/x')).toEqual({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect(await refusal('https://user:pw@example.com/x')).toEqual({ code: 'BAD_USER_INPUT', field: 'input.url' });
    expect(await refusal('http://example.com/x', true)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.url' });
    for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '169.254.169.254', '[::1]', '172.20.0.1', '192.168.1.1']) {
      expect(await refusal(`https://${host}/hook`, true)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.url' });
    }
    expect(await refusal('https://hooks.example.com/budget', true)).toBeUndefined();
    expect(await database.sql`select url from billing.budget_webhooks where tenant_id = 'hooks'`).toEqual([{ url: 'https://hooks.example.com/budget' }]);
  });
});
