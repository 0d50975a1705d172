import { badInput } from '@novacron/errors';

/** How much each score term counts. Non-negative; at least one is positive. */
export interface ScoreWeights {
  /** Cheaper is better: the cheapest feasible candidate scores 1, one twice its price 0.5. */
  price: number;
  /** Regions named in `preferRegions`, the first one most. */
  regionPreference: number;
  /** The recent create success rate of the provider/region/type. */
  reliability: number;
  /** vCPU quota left in the provider/region after this placement. */
  headroom: number;
}

/** The score terms, in the order breakdowns list them. */
export const scoreTermNames = ['price', 'regionPreference', 'reliability', 'headroom'] as const satisfies readonly (keyof ScoreWeights)[];

/**
 * Default weights: price only. Like SkyPilot's optimizer, the first candidate is the cheapest feasible
 * one; the other terms are still computed, shown in every breakdown, and break ties between equal
 * prices (which are common: AWS prices us-east-1, us-east-2 and us-west-2 alike). A tenant's policy
 * gives them weight to trade price for preference, reliability or headroom.
 */
export const defaultWeights: Readonly<ScoreWeights> = Object.freeze({ price: 1, regionPreference: 0, reliability: 0, headroom: 0 });

/** Validates weights from an input (missing terms take the default); BAD_USER_INPUT naming the term. */
export function validateWeights(field: string, input: Partial<Record<keyof ScoreWeights, number | null>> | null | undefined): ScoreWeights {
  const weights = { ...defaultWeights };
  if (!input) return weights;
  for (const name of scoreTermNames) {
    const value = input[name];
    if (value === null || value === undefined) continue;
    if (!Number.isFinite(value) || value < 0 || value > 1000) throw badInput(`${field}.${name}`, `${field}.${name} must be between 0 and 1000`);
    weights[name] = value;
  }
  if (scoreTermNames.every((name) => weights[name] === 0)) throw badInput(field, `at least one of ${field} must be positive`);
  return weights;
}
