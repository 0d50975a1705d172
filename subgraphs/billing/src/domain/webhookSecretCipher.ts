import { decryptCredentials, encryptCredentials, type CredentialKeys } from '@novacron/secrets';
import { eq, isNotNull } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { budgetWebhooks } from '../db/schema.ts';

/** The associated data binding a sealed secret to its tenant's webhook row: copied to another row, it no longer decrypts. */
const associatedData = (tenantId: string) => `billing.budget_webhooks:${tenantId}`;

/** The stored form of a webhook's signing secret (the same AES-256-GCM envelope vms uses for provider credentials). */
export function sealWebhookSecret(keys: CredentialKeys, tenantId: string, secret: string) {
  const sealed = encryptCredentials(keys, secret, associatedData(tenantId));
  return { secretKeyId: sealed.keyId, secretNonce: sealed.nonce, secretCiphertext: sealed.ciphertext, secretAuthTag: sealed.authTag, plaintextSecret: null };
}

/** A stored webhook row's signing secret (a row not yet encrypted: its plaintext). */
export function openWebhookSecret(
  keys: CredentialKeys,
  row: { tenantId: string; secretKeyId: string | null; secretNonce: string | null; secretCiphertext: string | null; secretAuthTag: string | null; plaintextSecret: string | null },
): string {
  if (row.secretCiphertext === null) {
    if (row.plaintextSecret === null) throw new Error('a budget webhook row has no secret');
    return row.plaintextSecret;
  }
  return decryptCredentials(keys, { keyId: row.secretKeyId ?? '', nonce: row.secretNonce ?? '', ciphertext: row.secretCiphertext, authTag: row.secretAuthTag ?? '' }, associatedData(row.tenantId));
}

/**
 * The data half of migration 0001: encrypts every secret still stored in plaintext (rows written
 * before it) and empties the plaintext column. Runs at each start, before serving; idempotent, and
 * safe beside another replica doing the same (row locks, `skip locked`). Returns the rows encrypted.
 */
export async function encryptPlaintextWebhookSecrets(db: Database, keys: CredentialKeys): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: budgetWebhooks.id, tenantId: budgetWebhooks.tenantId, plaintextSecret: budgetWebhooks.plaintextSecret })
      .from(budgetWebhooks)
      .where(isNotNull(budgetWebhooks.plaintextSecret))
      .for('update', { skipLocked: true });
    for (const row of rows) {
      await tx.update(budgetWebhooks).set(sealWebhookSecret(keys, row.tenantId, row.plaintextSecret!)).where(eq(budgetWebhooks.id, row.id));
    }
    return rows.length;
  });
}
