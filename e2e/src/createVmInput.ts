import { randomBytes } from 'node:crypto';
import type { CreateVmInput } from '@novacron/sdk';

/** A valid createVM input on the simulated aws provider, with a unique name unless one is given. */
export function createVmInput(overrides: Partial<CreateVmInput> = {}): CreateVmInput {
  return {
    name: `vm-${randomBytes(4).toString('hex')}`,
    provider: 'aws',
    region: 'us-east-1',
    instanceType: 't3.micro',
    image: 'ubuntu-24.04',
    ...overrides,
  };
}
