import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import type { PlacementState } from './PlacementPolicy.ts';
import type { PlacementStateCache } from './placementStateCache.ts';
import { rankPlacements, type PlacementResult } from './rankPlacements.ts';
import { validateRequirements, type PlacementRequirementsInput } from './validateRequirements.ts';

export const maxCandidates = 100;

/**
 * `placementOptions`: validates the request, then ranks the whole catalog for it (through `cache`
 * when given: the same request against the same tenant state is ranked once).
 */
export function placementOptions(
  catalog: Catalog,
  state: PlacementState,
  input: PlacementRequirementsInput,
  first: number | null | undefined,
  cache?: Pick<PlacementStateCache, 'rank'>,
): PlacementResult {
  const requirements = validateRequirements(catalog, input, 'requirements');
  const limit = first ?? 5;
  if (!Number.isInteger(limit) || limit < 0 || limit > maxCandidates) throw badInput('first', `first must be between 0 and ${maxCandidates}`);
  const rank = () => rankPlacements(catalog.entries, requirements, state, limit);
  return cache ? cache.rank(state, requirements, limit, rank) : rank();
}
