import { eq, sql } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import type { Executor } from '../db/createDatabase.ts';
import { policies } from '../db/schema.ts';
import { instanceFamily } from './instanceFamily.ts';
import { defaultPolicy, type PlacementPolicy } from './PlacementPolicy.ts';
import { validateWeights, type ScoreWeights } from './weights.ts';

/** `setPlacementPolicy`'s input. Omitted lists mean "all allowed" / "none denied". */
export interface PlacementPolicyInput {
  allowedProviders?: readonly string[] | null;
  allowedRegions?: readonly string[] | null;
  deniedInstanceFamilies?: readonly string[] | null;
  maxHourlyPrice?: number | null;
  weights?: Partial<Record<keyof ScoreWeights, number | null>> | null;
}

function knownList(field: string, values: readonly string[] | null | undefined, known: ReadonlySet<string>, what: string): string[] | null {
  if (values === null || values === undefined) return null;
  values.forEach((value, index) => {
    if (!known.has(value)) throw badInput(`${field}.${index}`, `unknown ${what} "${value}"`, { value });
  });
  return [...new Set(values)].sort();
}

/** Validates a policy input against the catalog; BAD_USER_INPUT names the field (`input.allowedRegions.2`). */
export function validatePolicyInput(catalog: Catalog, input: PlacementPolicyInput): PlacementPolicy {
  const providers = new Set<string>();
  const regions = new Set<string>();
  const families = new Set<string>();
  for (const entry of catalog.entries) {
    providers.add(entry.provider);
    regions.add(entry.region);
    families.add(instanceFamily(entry.provider, entry.instanceType));
  }
  const maxHourlyPrice = input.maxHourlyPrice ?? null;
  if (maxHourlyPrice !== null && (!Number.isFinite(maxHourlyPrice) || maxHourlyPrice <= 0)) {
    throw badInput('input.maxHourlyPrice', 'input.maxHourlyPrice must be a positive number of USD per hour');
  }
  return {
    allowedProviders: knownList('input.allowedProviders', input.allowedProviders, providers, 'provider'),
    allowedRegions: knownList('input.allowedRegions', input.allowedRegions, regions, 'region'),
    deniedInstanceFamilies: knownList('input.deniedInstanceFamilies', input.deniedInstanceFamilies, families, 'instance family') ?? [],
    maxHourlyPrice,
    weights: validateWeights('input.weights', input.weights),
  };
}

/** A tenant's policy, or the default one when it never set any. */
export async function readPlacementPolicy(db: Executor, tenantId: string): Promise<PlacementPolicy> {
  const [row] = await db.select().from(policies).where(eq(policies.tenantId, tenantId));
  if (!row) return defaultPolicy;
  return {
    allowedProviders: row.allowedProviders,
    allowedRegions: row.allowedRegions,
    deniedInstanceFamilies: row.deniedInstanceFamilies,
    maxHourlyPrice: row.maxHourlyPrice,
    weights: { price: row.weightPrice, regionPreference: row.weightRegionPreference, reliability: row.weightReliability, headroom: row.weightHeadroom },
  };
}

/** Replaces a tenant's policy (admins only; the resolver checks) and returns it. */
export async function setPlacementPolicy(db: Executor, catalog: Catalog, tenantId: string, input: PlacementPolicyInput): Promise<PlacementPolicy> {
  const policy = validatePolicyInput(catalog, input);
  const values = {
    allowedProviders: policy.allowedProviders ? [...policy.allowedProviders] : null,
    allowedRegions: policy.allowedRegions ? [...policy.allowedRegions] : null,
    deniedInstanceFamilies: [...policy.deniedInstanceFamilies],
    maxHourlyPrice: policy.maxHourlyPrice,
    weightPrice: policy.weights.price,
    weightRegionPreference: policy.weights.regionPreference,
    weightReliability: policy.weights.reliability,
    weightHeadroom: policy.weights.headroom,
  };
  await db
    .insert(policies)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: policies.tenantId, set: { ...values, updatedAt: sql`now()` } });
  return policy;
}
