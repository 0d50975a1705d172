import { badInput } from '@novacron/errors';
import type { ProviderRegistry } from '@novacron/providers';
import { validateLabels } from './validateLabels.ts';

/** A createVM request as the client sent it (GraphQL `CreateVMInput`). */
export interface CreateVmInput {
  name: string;
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  labels?: Record<string, string> | null;
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

/** Validates a createVM input field by field; the first problem becomes a BAD_USER_INPUT naming its field. */
export function validateCreateInput(input: CreateVmInput, providers: ProviderRegistry): ValidCreateInput {
  const name = input.name;
  if (name.length === 0) throw badInput('input.name', 'name must not be empty');
  if (name.length > maxNameLength) throw badInput('input.name', `name must be at most ${maxNameLength} characters`);
  if (!namePattern.test(name)) {
    throw badInput('input.name', 'name must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen');
  }
  const driver = providers.get(input.provider);
  if (!driver) {
    throw badInput('input.provider', `unknown provider "${input.provider.slice(0, 80)}"`, { allowed: providers.list().map((p) => p.name) });
  }
  const problems = driver.validate({ region: input.region, instanceType: input.instanceType, image: input.image, name });
  const [first] = problems;
  if (first) throw badInput(`input.${first.field}`, first.message);
  return {
    name,
    provider: driver.name,
    region: input.region,
    instanceType: input.instanceType,
    image: input.image,
    labels: validateLabels('input.labels', input.labels),
  };
}
