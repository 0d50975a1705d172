import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import type { PlacementState } from './PlacementPolicy.ts';
import { rankPlacements, type PlacementResult } from './rankPlacements.ts';
import { validateRequirements, type PlacementRequirementsInput } from './validateRequirements.ts';

export const maxCandidates = 100;

/** `placementOptions`: validates the request, then ranks the whole catalog for it. */
export function placementOptions(catalog: Catalog, state: PlacementState, input: PlacementRequirementsInput, first: number | null | undefined): PlacementResult {
  const requirements = validateRequirements(catalog, input, 'requirements');
  const limit = first ?? 5;
  if (!Number.isInteger(limit) || limit < 0 || limit > maxCandidates) throw badInput('first', `first must be between 0 and ${maxCandidates}`);
  return rankPlacements(catalog.entries, requirements, state, limit);
}
