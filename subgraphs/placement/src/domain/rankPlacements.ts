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
function rejectionOf(entry: CatalogEntry, keys: EntryKeys, requirements: PlacementRequirements, state: PlacementState): { reason: RejectionReason; detail: string } | null {
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
  if (policy.deniedInstanceFamilies.length > 0 && policy.deniedInstanceFamilies.includes(keys.family)) return { reason: 'POLICY', detail: `the tenant policy denies the ${keys.family} family` };
  const price = hourlyPriceOf(entry, requirements.spot);
  if (price === null) return { reason: 'NO_SPOT_PRICE', detail: 'the catalog has no spot price for it' };
  if (policy.maxHourlyPrice !== null && price > policy.maxHourlyPrice) return { reason: 'POLICY', detail: `$${price}/h is above the tenant policy's $${policy.maxHourlyPrice}/h` };
  if (requirements.maxHourlyPrice !== null && price > requirements.maxHourlyPrice) return { reason: 'OVER_PRICE', detail: `$${price}/h is above $${requirements.maxHourlyPrice}/h` };
  if (state.blocked.size > 0 && state.blocked.has(keys.offering)) return { reason: 'RECENT_CAPACITY_FAILURE', detail: 'a create failed for lack of capacity recently' };
  const quota = state.quotas.size > 0 ? state.quotas.get(keys.capacity) : undefined;
  if (quota !== undefined) {
    const used = state.usage.get(keys.capacity) ?? 0;
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

/** An entry's family and map keys, computed once instead of concatenated on every request. */
interface EntryKeys {
  family: string;
  /** `provider/region` (quotas, usage). */
  capacity: string;
  /** `provider/region/instanceType` (block list, outcomes). */
  offering: string;
}

/** What ranking needs of a catalog that does not change between requests, computed once per entries array. */
interface CatalogIndex {
  keys: EntryKeys[];
  /** Position of each entry in (provider, region, type) order: the last tie-break, as one integer compare. */
  nameRanks: Int32Array;
}
const indexes = new WeakMap<readonly CatalogEntry[], CatalogIndex>();

function indexOf(entries: readonly CatalogEntry[]): CatalogIndex {
  let index = indexes.get(entries);
  if (!index) {
    const order = entries.map((_, position) => position).sort((a, b) => compareOfferings(entries[a]!, entries[b]!));
    const nameRanks = new Int32Array(entries.length);
    order.forEach((position, rank) => (nameRanks[position] = rank));
    const keys = entries.map((entry) => ({
      family: instanceFamily(entry.provider, entry.instanceType),
      capacity: capacityKey(entry.provider, entry.region),
      offering: offeringKey(entry.provider, entry.region, entry.instanceType),
    }));
    index = { keys, nameRanks };
    indexes.set(entries, index);
  }
  return index;
}

/** A feasible offering while ranking: numbers only, so sorting ~1,300 of them stays cheap. */
interface Scored {
  position: number;
  price: number;
  score: number;
  values: [price: number, regionPreference: number, reliability: number, headroom: number];
}

function termValues(entry: CatalogEntry, keys: EntryKeys, price: number, cheapest: number, requirements: PlacementRequirements, state: PlacementState): Scored['values'] {
  const preferIndex = requirements.preferRegions.indexOf(entry.region);
  const regionPreference = preferIndex < 0 ? 0 : (requirements.preferRegions.length - preferIndex) / requirements.preferRegions.length;
  const outcome = state.outcomes.size === 0 ? undefined : state.outcomes.get(keys.offering);
  const reliability = outcome ? (outcome.succeeded + 1) / (outcome.succeeded + outcome.failed + 1) : 1;
  let headroom = 1;
  if (state.quotas.size > 0) {
    const quota = state.quotas.get(keys.capacity);
    if (quota !== undefined) headroom = quota === 0 ? 0 : Math.max(0, quota - (state.usage.get(keys.capacity) ?? 0) - entry.vcpus) / quota;
  }
  return [round6(cheapest / price), round6(regionPreference), round6(reliability), round6(headroom)];
}

/**
 * Filter → score over catalog offerings (OpenStack Nova's and the Kubernetes scheduler's shape).
 * Filters rule offerings out with a reason (see rejectionReasons); the feasible ones are scored by
 * the policy's weights and ordered by score, then price, then preference, reliability and headroom,
 * then provider, region and type name, so equal inputs always give the same order.
 */
export function rankPlacements(entries: readonly CatalogEntry[], requirements: PlacementRequirements, state: PlacementState, first: number): PlacementResult {
  const { keys, nameRanks } = indexOf(entries);
  const counts = new Map<RejectionReason, { count: number; examples: { price: number; offering: RejectedOffering }[] }>();
  const feasible: { position: number; price: number }[] = [];
  for (let position = 0; position < entries.length; position += 1) {
    const entry = entries[position]!;
    const rejection = rejectionOf(entry, keys[position]!, requirements, state);
    if (rejection === null) {
      feasible.push({ position, price: hourlyPriceOf(entry, requirements.spot) as number });
      continue;
    }
    let bucket = counts.get(rejection.reason);
    if (!bucket) counts.set(rejection.reason, (bucket = { count: 0, examples: [] }));
    bucket.count += 1;
    if (bucket.examples.length < examplesPerReason || entry.priceHourUsd <= (bucket.examples.at(-1)?.price ?? Infinity)) keepExample(bucket.examples, entry, rejection.detail);
  }
  const weights = state.policy.weights;
  const weightList = scoreTermNames.map((name) => weights[name]);
  const totalWeight = weightList.reduce((sum, weight) => sum + weight, 0);
  const cheapest = feasible.reduce((min, { price }) => Math.min(min, price), Infinity);
  const scored: Scored[] = feasible.map(({ position, price }) => {
    const values = termValues(entries[position]!, keys[position]!, price, cheapest, requirements, state);
    const score = round6((weightList[0]! * values[0] + weightList[1]! * values[1] + weightList[2]! * values[2] + weightList[3]! * values[3]) / totalWeight);
    return { position, price, score, values };
  });
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      a.price - b.price ||
      b.values[1] - a.values[1] ||
      b.values[2] - a.values[2] ||
      b.values[3] - a.values[3] ||
      nameRanks[a.position]! - nameRanks[b.position]!,
  );
  const candidates = scored.slice(0, first).map(({ position, price, score, values }): PlacementCandidate => {
    const entry = entries[position]!;
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
      scoreBreakdown: scoreTermNames.map((name, term) => ({ name, weight: weightList[term]!, value: values[term]! })),
    };
  });
  const rejected = rejectionReasons.flatMap((reason) => {
    const bucket = counts.get(reason);
    return bucket ? [{ reason, count: bucket.count, examples: bucket.examples.map((example) => example.offering) }] : [];
  });
  return { candidates, feasibleCount: scored.length, rejected };
}
