import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Query } from './Query.ts';
import { DateTime } from './scalars.ts';
import { VM } from './VM.ts';

/** Every resolver of the metrics subgraph. */
export const resolvers: Resolvers = { Query, VM, DateTime };
