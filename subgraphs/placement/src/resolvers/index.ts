import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Mutation } from './Mutation.ts';
import { InstanceTypeOffering, PlacementCandidate, PlacementRequirementsRecord } from './offerings.ts';
import { Query } from './Query.ts';
import { DateTime } from './scalars.ts';
import { VM } from './VM.ts';

/** Every resolver of the placement subgraph. */
export const resolvers: Resolvers = { Query, Mutation, VM, PlacementCandidate, InstanceTypeOffering, PlacementRequirementsRecord, DateTime };
