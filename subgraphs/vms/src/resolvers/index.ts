import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { AuditEntry } from './AuditEntry.ts';
import { Mutation } from './Mutation.ts';
import { Operation } from './Operation.ts';
import { Query } from './Query.ts';
import { DateTime, Labels } from '@novacron/subgraph-kit';
import { VM } from './VM.ts';
import { OrphanInstance, TenantSettings, reconcileMutations, reconcileQueries } from './Reconcile.ts';

/** Every resolver of the vms subgraph. */
export const resolvers: Resolvers = {
  Query: { ...Query, ...reconcileQueries },
  Mutation: { ...Mutation, ...reconcileMutations },
  VM,
  Operation,
  AuditEntry,
  TenantSettings,
  OrphanInstance,
  DateTime,
  Labels,
};
