import { randomBytes } from 'node:crypto';
import type { CreateVmInput } from '@novacron/sdk';

/** A createVM input that names its provider, region and instance type (no placement requirements). */
export type ExplicitCreateVmInput = CreateVmInput & { provider: string; region: string; instanceType: string };

/** A valid createVM input on the simulated aws provider, with a unique name unless one is given. */
export function createVmInput(overrides: Partial<ExplicitCreateVmInput> = {}): ExplicitCreateVmInput {
  return {
    name: `vm-${randomBytes(4).toString('hex')}`,
    provider: 'aws',
    region: 'us-east-1',
    instanceType: 't3.micro',
    image: 'ubuntu-24.04',
    ...overrides,
  };
}
