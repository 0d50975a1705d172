// Retries are hand-rolled on purpose: deliveries are Postgres rows (durable, at least once, shared by
// replicas); an in-memory retry library would lose them on a restart.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { badInput } from '@novacron/errors';
import type { CredentialKeys } from '@novacron/secrets';
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/createDatabase.ts';
import { budgetWebhooks, webhookDeliveries } from '../db/schema.ts';
import { openWebhookSecret, sealWebhookSecret } from './webhookSecretCipher.ts';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (Stripe's scheme: the timestamp is signed, so a replay is detectable). */
export const signatureHeader = 'x-novacron-signature';
/** Header carrying the delivery id; a retry of the same delivery carries the same id, so receivers drop duplicates. */
export const deliveryIdHeader = 'x-novacron-delivery';
/** Header naming the event type. */
export const eventTypeHeader = 'x-novacron-event';

/** The signature header value for `body` signed at `timestamp` (unix seconds). */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** Checks a signature header against the raw body and a replay window; for receivers written in TypeScript. */
export function verifyWebhookSignature(secret: string, header: string, body: string, options: { now: number; toleranceSeconds?: number }): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(options.now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Loopback, private, link-local (cloud metadata) and unspecified addresses, written as IP literals or `localhost`. */
const internalHost = /^(localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|0\.0\.0\.0|\[(::1?|f[cd][0-9a-f:]*|fe80:[0-9a-f:]*)\])$/i;

/**
 * Sets (or replaces) the tenant's budget webhook. The secret is generated unless given, stored
 * encrypted under `keys`, and returned only here. With `production`, the URL must be https and must not name an internal address literally
 * (a name that resolves to one is not caught: see docs/billing.md).
 */
export async function setBudgetWebhook(db: Executor, keys: CredentialKeys, tenantId: string, input: { url: string; secret?: string | null }, options: { production?: boolean } = {}) {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw badInput('input.url', 'url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badInput('input.url', 'url must be an absolute http(s) URL');
  if (options.production && url.protocol !== 'https:') throw badInput('input.url', 'url must use https');
  if (options.production && internalHost.test(url.hostname)) throw badInput('input.url', 'url must not point at an internal address');
  if (url.username || url.password) throw badInput('input.url', 'url must not carry credentials; use the signing secret');
  if (input.secret != null && input.secret.length < 16) throw badInput('input.secret', 'a secret needs at least 16 characters');
  const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
  const sealed = sealWebhookSecret(keys, tenantId, secret);
  const [row] = await db
    .insert(budgetWebhooks)
    .values({ tenantId, url: url.toString(), ...sealed })
    .onConflictDoUpdate({ target: budgetWebhooks.tenantId, set: { url: url.toString(), ...sealed, updatedAt: sql`now()` } })
    .returning({ id: budgetWebhooks.id, tenantId: budgetWebhooks.tenantId, url: budgetWebhooks.url, createdAt: budgetWebhooks.createdAt, updatedAt: budgetWebhooks.updatedAt });
  return { webhook: row!, secret };
}

/** The tenant's budget webhook, without its secret. */
export async function findBudgetWebhook(db: Executor, tenantId: string) {
  const [row] = await db.select({ id: budgetWebhooks.id, url: budgetWebhooks.url, createdAt: budgetWebhooks.createdAt, updatedAt: budgetWebhooks.updatedAt }).from(budgetWebhooks).where(eq(budgetWebhooks.tenantId, tenantId));
  return row;
}

/** Queues an event for the tenant's webhook, in the caller's transaction (no webhook: nothing queued). */
export async function enqueueWebhookDelivery(tx: Executor, tenantId: string, eventType: string, data: Record<string, unknown>): Promise<string | undefined> {
  const [webhook] = await tx.select({ id: budgetWebhooks.id, url: budgetWebhooks.url }).from(budgetWebhooks).where(eq(budgetWebhooks.tenantId, tenantId));
  if (!webhook) return undefined;
  const id = randomUUID();
  const body = JSON.stringify({ id, type: eventType, tenantId, data });
  await tx.insert(webhookDeliveries).values({ id, tenantId, webhookId: webhook.id, url: webhook.url, eventType, body });
  return id;
}

/** Retry policy of webhook deliveries. */
export interface DeliveryPolicy {
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time up to `maxDelaySeconds`. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  timeoutMs: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = { maxAttempts: 8, baseDelaySeconds: 30, maxDelaySeconds: 3600, timeoutMs: 10_000 };

/** Seconds to wait after failed attempt number `attempts` (1-based): 30 s, 60 s, 120 s, … capped. */
export function retryDelaySeconds(attempts: number, policy: DeliveryPolicy): number {
  return Math.min(policy.baseDelaySeconds * 2 ** (attempts - 1), policy.maxDelaySeconds);
}

/**
 * Sends due deliveries, each claimed with `FOR UPDATE SKIP LOCKED` so replicas never send the same
 * attempt twice at once. A 2xx marks it DELIVERED; anything else (status, timeout, refused connection)
 * schedules a retry with exponential backoff until `maxAttempts`, then FAILED. At least once: a crash
 * after the POST and before the commit resends it, with the same delivery id. Returns attempts made.
 */
export async function deliverDueWebhooks(db: Database, keys: CredentialKeys, options: { now: Date; policy?: DeliveryPolicy; batchSize?: number }): Promise<number> {
  const policy = options.policy ?? defaultDeliveryPolicy;
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.status, 'PENDING'), lte(webhookDeliveries.nextAttemptAt, options.now)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(options.batchSize ?? 20)
      .for('update', { skipLocked: true });
    const webhookIds = [...new Set(due.map((delivery) => delivery.webhookId))];
    const secrets = new Map(
      webhookIds.length === 0
        ? []
        : (await tx.select().from(budgetWebhooks).where(inArray(budgetWebhooks.id, webhookIds))).map((row) => [row.id, openSecretOrNull(keys, row)]),
    );
    for (const delivery of due) {
      const attempts = delivery.attempts + 1;
      const secret = secrets.get(delivery.webhookId);
      // The webhook was replaced since this was queued: sign with nothing stale, mark it failed. A secret
      // that does not decrypt (its key left the ring, or the row was altered) fails only its own deliveries.
      const result =
        secret === undefined
          ? { status: undefined, error: 'webhook removed' }
          : secret === null
            ? { status: undefined, error: 'the webhook secret cannot be decrypted (unknown key or altered row)' }
            : await post(delivery, secret, options.now, policy.timeoutMs);
      const delivered = result.status !== undefined && result.status >= 200 && result.status < 300;
      const failed = !delivered && attempts >= policy.maxAttempts;
      await tx
        .update(webhookDeliveries)
        .set({
          attempts,
          status: delivered ? 'DELIVERED' : failed ? 'FAILED' : 'PENDING',
          lastStatusCode: result.status ?? null,
          lastError: result.error ?? (delivered ? null : `HTTP ${result.status}`),
          deliveredAt: delivered ? options.now : null,
          nextAttemptAt: new Date(options.now.getTime() + retryDelaySeconds(attempts, policy) * 1000),
        })
        .where(eq(webhookDeliveries.id, delivery.id));
    }
    return due.length;
  });
}

function openSecretOrNull(keys: CredentialKeys, row: Parameters<typeof openWebhookSecret>[1]): string | null {
  try {
    return openWebhookSecret(keys, row);
  } catch {
    return null;
  }
}

async function post(delivery: typeof webhookDeliveries.$inferSelect, secret: string, now: Date, timeoutMs: number): Promise<{ status?: number; error?: string }> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [signatureHeader]: signWebhookBody(secret, Math.floor(now.getTime() / 1000), delivery.body),
        [deliveryIdHeader]: delivery.id,
        [eventTypeHeader]: delivery.eventType,
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (error) {
    return { error: error instanceof Error ? error.message.slice(0, 500) : 'request failed' };
  }
}

/** The tenant's delivery history, newest first (admins). */
export async function listWebhookDeliveries(db: Executor, tenantId: string, first: number) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.tenantId, tenantId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(Math.min(Math.max(first, 1), 200));
}

/** A stored delivery. */
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
