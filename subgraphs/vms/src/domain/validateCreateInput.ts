import { badInput } from '@novacron/errors';
import type { ProviderRegistry } from '@novacron/providers';
import { validateLabels } from './validateLabels.ts';

/** What a placed create needs (GraphQL `PlacementRequirements`); the placement subgraph validates it. */
export interface PlacementRequirementsInput {
  vcpus: number;
  memoryGib: number;
  arch?: string | null;
  gpu?: { name?: string | null; count?: number | null } | null;
  providers?: string[] | null;
  regions?: string[] | null;
  preferRegions?: string[] | null;
  maxHourlyPrice?: number | null;
  spot?: boolean | null;
}

/** A createVM request as the client sent it (GraphQL `CreateVMInput`): an explicit target, or `placement`. */
export interface CreateVmInput {
  name: string;
  provider?: string | null;
  region?: string | null;
  instanceType?: string | null;
  image: string;
  labels?: Record<string, string> | null;
  placement?: PlacementRequirementsInput | null;
}

/** A create request that passed validation. */
export interface ValidCreateInput {
  name: string;
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  labels: Record<string, string>;
}

const namePattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const maxNameLength = 63;

/** Validates a VM name (also before placement runs, so a bad name reserves nothing). */
export function validateVmName(name: string): string {
  if (name.length === 0) throw badInput('input.name', 'name must not be empty');
  if (name.length > maxNameLength) throw badInput('input.name', `name must be at most ${maxNameLength} characters`);
  if (!namePattern.test(name)) {
    throw badInput('input.name', 'name must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen');
  }
  return name;
}

/**
 * Validates a createVM input field by field; the first problem becomes a BAD_USER_INPUT naming its
 * field. Provider, region and instance type are required here: a placed create has them filled in
 * by placement first (see placeCreate.ts).
 */
export function validateCreateInput(input: CreateVmInput, providers: ProviderRegistry): ValidCreateInput {
  const name = validateVmName(input.name);
  for (const field of ['provider', 'region', 'instanceType'] as const) {
    if (!input[field]) throw badInput(`input.${field}`, `${field} is required unless placement is given`);
  }
  const provider = input.provider as string;
  const region = input.region as string;
  const instanceType = input.instanceType as string;
  const driver = providers.get(provider);
  if (!driver) {
    throw badInput('input.provider', `unknown provider "${provider.slice(0, 80)}"`, { allowed: providers.list().map((p) => p.name) });
  }
  const problems = driver.validate({ region, instanceType, image: input.image, name });
  const [first] = problems;
  if (first) throw badInput(`input.${first.field}`, first.message);
  return {
    name,
    provider: driver.name,
    region,
    instanceType,
    image: input.image,
    labels: validateLabels('input.labels', input.labels),
  };
}
