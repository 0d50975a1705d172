import type { AuditEntryResolvers } from '../__generated__/resolvers-types.ts';

export const AuditEntry: AuditEntryResolvers = {
  at: (entry) => entry.createdAt,
};
