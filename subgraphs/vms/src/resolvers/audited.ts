import { createAudited } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import { auditLog } from '../db/schema.ts';
import { auditDigest } from '../domain/auditDigest.ts';

/** Wraps a vms mutation: role check, then an audit record of its outcome (see the kit's `createAudited`). */
export const audited = createAudited<RequestContext>({ db: (context) => context.services.db, table: auditLog, digest: auditDigest });
