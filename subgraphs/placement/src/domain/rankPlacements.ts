import type { CatalogEntry } from '@novacron/catalog';
import { instanceFamily } from './instanceFamily.ts';
import { capacityKey, offeringKey, type PlacementState } from './PlacementPolicy.ts';
import { hourlyPriceOf, monthlyPriceOf } from './prices.ts';
import { rejectionReasons, type RejectionReason } from './rejectionReasons.ts';
import { scoreTermNames, type ScoreWeights } from './weights.ts';
import type { PlacementRequirements } from './validateRequirements.ts';

/** One term of a candidate's score: score = Σ weight × value / Σ weight. */
export interface ScoreTerm {
  name: keyof ScoreWeights;
  weight: number;
  /** 0 to 1, higher is better. */
  value: number;
}

/** A feasible place to run the workload. */
export interface PlacementCandidate {
  provider: string;
  region: string;
  instanceType: string;
  vcpus: number;
  memoryGib: number;
  arch: string;
  gpuName: string | null;
  gpuCount: number;
  spot: boolean;
  /** USD per hour: the spot snapshot for spot requests, on-demand otherwise. */
  hourlyPrice: number;
  monthlyPrice: number;
  /** 0 to 1, rounded to 6 decimals. */
  score: number;
  scoreBreakdown: ScoreTerm[];
}

/** An offering that was ruled out, as an example of its reason. */
export interface RejectedOffering {
  provider: string;
  region: string;
  instanceType: string;
  detail: string;
}

/** How many offerings one reason ruled out, with the cheapest few as examples. */
export interface PlacementRejection {
  reason: RejectionReason;
  count: number;
  examples: RejectedOffering[];
}

/** The ranked answer. */
export interface PlacementResult {
  /** The best `first` candidates, best first. */
  candidates: PlacementCandidate[];
  /** How many offerings passed every filter (candidates holds the first few). */
  feasibleCount: number;
  /** Reasons with a non-zero count, in filter order. */
  rejected: PlacementRejection[];
}

/** Examples kept per rejection reason. */
export const examplesPerReason = 3;

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The first filter that rules an offering out, with a sentence for examples; null when feasible. */
function rejectionOf(entry: CatalogEntry, requirements: PlacementRequirements, state: PlacementState): { reason: RejectionReason; detail: string } | null {
  const { policy } = state;
  if (requirements.providers && !requirements.providers.includes(entry.provider)) return { reason: 'PROVIDER_NOT_ALLOWED', detail: `provider ${entry.provider} is not in the requested providers` };
  if (requirements.regions && !requirements.regions.includes(entry.region)) return { reason: 'REGION_NOT_ALLOWED', detail: `region ${entry.region} is not in the requested regions` };
  if (requirements.arch && entry.arch !== requirements.arch) return { reason: 'ARCH', detail: `${entry.arch}, not ${requirements.arch}` };
  const gpu = requirements.gpu;
  if (gpu ? entry.gpuName !== gpu.name || entry.gpuCount < gpu.count : entry.gpuCount > 0) {
    const has = entry.gpuCount > 0 ? `${entry.gpuCount}× ${entry.gpuName}` : 'no accelerator';
    return { reason: 'GPU', detail: gpu ? `has ${has}, needs ${gpu.count}× ${gpu.name}` : `has ${has}, none requested` };
  }
  if (entry.vcpus < requirements.vcpus || entry.memoryGib < requirements.memoryGib) {
    return { reason: 'TOO_SMALL', detail: `${entry.vcpus} vCPUs / ${entry.memoryGib} GiB, needs ${requirements.vcpus} vCPUs / ${requirements.memoryGib} GiB` };
  }
  if (policy.allowedProviders && !policy.allowedProviders.includes(entry.provider)) return { reason: 'POLICY', detail: `the tenant policy does not allow provider ${entry.provider}` };
  if (policy.allowedRegions && !policy.allowedRegions.includes(entry.region)) return { reason: 'POLICY', detail: `the tenant policy does not allow region ${entry.region}` };
  const family = instanceFamily(entry.provider, entry.instanceType);
  if (policy.deniedInstanceFamilies.includes(family)) return { reason: 'POLICY', detail: `the tenant policy denies the ${family} family` };
  const price = hourlyPriceOf(entry, requirements.spot);
  if (price === null) return { reason: 'NO_SPOT_PRICE', detail: 'the catalog has no spot price for it' };
  if (policy.maxHourlyPrice !== null && price > policy.maxHourlyPrice) return { reason: 'POLICY', detail: `$${price}/h is above the tenant policy's $${policy.maxHourlyPrice}/h` };
  if (requirements.maxHourlyPrice !== null && price > requirements.maxHourlyPrice) return { reason: 'OVER_PRICE', detail: `$${price}/h is above $${requirements.maxHourlyPrice}/h` };
  if (state.blocked.has(offeringKey(entry.provider, entry.region, entry.instanceType))) return { reason: 'RECENT_CAPACITY_FAILURE', detail: 'a create failed for lack of capacity recently' };
  const key = capacityKey(entry.provider, entry.region);
  const quota = state.quotas.get(key);
  if (quota !== undefined) {
    const used = state.usage.get(key) ?? 0;
    if (used + entry.vcpus > quota) return { reason: 'QUOTA', detail: `${used} of ${quota} vCPUs in use or reserved, ${entry.vcpus} more would exceed the quota` };
  }
  return null;
}

/** Keeps the cheapest `examplesPerReason` offerings of a reason, ordered by price then name. */
function keepExample(examples: { price: number; offering: RejectedOffering }[], entry: CatalogEntry, detail: string): void {
  const candidate = { price: entry.priceHourUsd, offering: { provider: entry.provider, region: entry.region, instanceType: entry.instanceType, detail } };
  examples.push(candidate);
  examples.sort((a, b) => a.price - b.price || compareOfferings(a.offering, b.offering));
  if (examples.length > examplesPerReason) examples.pop();
}

function compareOfferings(a: { provider: string; region: string; instanceType: string }, b: { provider: string; region: string; instanceType: string }): number {
  return byName(a.provider, b.provider) || byName(a.region, b.region) || byName(a.instanceType, b.instanceType);
}

function termValue(name: keyof ScoreWeights, entry: CatalogEntry, price: number, cheapest: number, requirements: PlacementRequirements, state: PlacementState): number {
  switch (name) {
    case 'price':
      return cheapest / price;
    case 'regionPreference': {
      const index = requirements.preferRegions.indexOf(entry.region);
      return index < 0 ? 0 : (requirements.preferRegions.length - index) / requirements.preferRegions.length;
    }
    case 'reliability': {
      const outcome = state.outcomes.get(offeringKey(entry.provider, entry.region, entry.instanceType));
      return outcome ? (outcome.succeeded + 1) / (outcome.succeeded + outcome.failed + 1) : 1;
    }
    case 'headroom': {
      const key = capacityKey(entry.provider, entry.region);
      const quota = state.quotas.get(key);
      if (quota === undefined) return 1;
      return quota === 0 ? 0 : Math.max(0, quota - (state.usage.get(key) ?? 0) - entry.vcpus) / quota;
    }
  }
}

/**
 * Filter → score over catalog offerings (OpenStack Nova's and the Kubernetes scheduler's shape).
 * Filters rule offerings out with a reason (see rejectionReasons); the feasible ones are scored by
 * the policy's weights and ordered by score, then price, then preference, reliability and headroom,
 * then provider, region and type name, so equal inputs always give the same order.
 */
export function rankPlacements(entries: readonly CatalogEntry[], requirements: PlacementRequirements, state: PlacementState, first: number): PlacementResult {
  const counts = new Map<RejectionReason, { count: number; examples: { price: number; offering: RejectedOffering }[] }>();
  const feasible: { entry: CatalogEntry; price: number }[] = [];
  for (const entry of entries) {
    const rejection = rejectionOf(entry, requirements, state);
    if (rejection === null) {
      feasible.push({ entry, price: hourlyPriceOf(entry, requirements.spot) as number });
      continue;
    }
    let bucket = counts.get(rejection.reason);
    if (!bucket) counts.set(rejection.reason, (bucket = { count: 0, examples: [] }));
    bucket.count += 1;
    if (bucket.examples.length < examplesPerReason || entry.priceHourUsd <= (bucket.examples.at(-1)?.price ?? Infinity)) keepExample(bucket.examples, entry, rejection.detail);
  }
  const weights = state.policy.weights;
  const totalWeight = scoreTermNames.reduce((sum, name) => sum + weights[name], 0);
  const cheapest = feasible.reduce((min, { price }) => Math.min(min, price), Infinity);
  const scored = feasible.map(({ entry, price }): PlacementCandidate => {
    const scoreBreakdown = scoreTermNames.map((name) => ({ name, weight: weights[name], value: round6(termValue(name, entry, price, cheapest, requirements, state)) }));
    const score = round6(scoreBreakdown.reduce((sum, term) => sum + term.weight * term.value, 0) / totalWeight);
    return {
      provider: entry.provider,
      region: entry.region,
      instanceType: entry.instanceType,
      vcpus: entry.vcpus,
      memoryGib: entry.memoryGib,
      arch: entry.arch,
      gpuName: entry.gpuName,
      gpuCount: entry.gpuCount,
      spot: requirements.spot,
      hourlyPrice: price,
      monthlyPrice: monthlyPriceOf(price),
      score,
      scoreBreakdown,
    };
  });
  const term = (candidate: PlacementCandidate, name: keyof ScoreWeights) => candidate.scoreBreakdown.find((t) => t.name === name)?.value ?? 0;
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.hourlyPrice - b.hourlyPrice ||
      term(b, 'regionPreference') - term(a, 'regionPreference') ||
      term(b, 'reliability') - term(a, 'reliability') ||
      term(b, 'headroom') - term(a, 'headroom') ||
      compareOfferings(a, b),
  );
  const rejected = rejectionReasons.flatMap((reason) => {
    const bucket = counts.get(reason);
    return bucket ? [{ reason, count: bucket.count, examples: bucket.examples.map((example) => example.offering) }] : [];
  });
  return { candidates: scored.slice(0, first), feasibleCount: scored.length, rejected };
}
