import { eq, sql } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import type { Database } from '../db/createDatabase.ts';
import { tenantSettings } from '../db/schema.ts';

/** A tenant's settings as stored (the GraphQL `TenantSettings` parent; its orphan clean-up resolves apart). */
export interface TenantSettingsView {
  tenantId: string;
  displayName: string;
  contactEmail: string | null;
  updatedAt: Date | null;
}

/** A tenant's settings, with defaults for a tenant that never set any. */
export async function readTenantSettings(db: Database, tenantId: string) {
  const [row] = await db.select().from(tenantSettings).where(eq(tenantSettings.tenantId, tenantId));
  return row ?? { tenantId, displayName: tenantId, contactEmail: null, updatedAt: null };
}

const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/;

/** Validates and stores a tenant's settings. */
export async function updateTenantSettings(db: Database, tenantId: string, actor: string, input: { displayName: string; contactEmail?: string | null }) {
  const displayName = input.displayName.trim();
  if (displayName.length === 0 || displayName.length > 100) throw badInput('input.displayName', 'displayName must be 1 to 100 characters');
  if (input.contactEmail && !emailPattern.test(input.contactEmail)) throw badInput('input.contactEmail', 'contactEmail is not an email address');
  const values = { displayName, contactEmail: input.contactEmail ?? null, updatedBy: actor };
  const [row] = await db
    .insert(tenantSettings)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: tenantSettings.tenantId, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  return row;
}
