import { createAudited } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import { auditLog } from '../db/schema.ts';
import { auditableArgs } from '../domain/auditableArgs.ts';
import { inputDigest } from '../domain/inputDigest.ts';

/**
 * Wraps a vms mutation: role check, then an audit record of its outcome (see the kit's `createAudited`),
 * whose digest leaves secret arguments out.
 */
export const audited = createAudited<RequestContext>({ db: (context) => context.services.db, table: auditLog, digest: (action, args) => inputDigest(action, auditableArgs(args)) });
