import { randomUUID } from 'node:crypto';
import type { CreateInstanceRequest } from '../../src/index.ts';

/** A valid aws create request with a fresh client token; override any field. */
export function instanceRequest(overrides: Partial<CreateInstanceRequest> = {}): CreateInstanceRequest {
  return {
    clientToken: randomUUID(),
    name: 'web-1',
    region: 'us-east-1',
    instanceType: 't3.micro',
    image: 'ubuntu-24.04',
    labels: { team: 'tests' },
    ...overrides,
  };
}
