import type { Identity, Role } from '@novacron/auth';
import { toAppError } from '@novacron/errors';
import type { RequestContext } from '../context.ts';
import { authorize } from '../domain/authorize.ts';
import { recordAudit } from '../domain/recordAudit.ts';

/** What the audit log records of a mutation's result. */
interface AuditTargets {
  targetId?: string | null;
  operationId?: string | null;
}

/**
 * Wraps a mutation: checks the role, runs it, and writes its audit record (who, tenant, what, when,
 * outcome, digest of the arguments), for failures too. An unauthorized call is audited as well.
 */
export function audited<TArgs, TResult>(
  action: string,
  role: Role,
  run: (args: TArgs, context: RequestContext, identity: Identity) => Promise<TResult>,
  targets: (args: TArgs, result: TResult | null) => AuditTargets = () => ({}),
) {
  return async (_parent: unknown, args: TArgs, context: RequestContext): Promise<TResult> => {
    const actor = context.principal.kind === 'user' ? context.principal.identity.subject : `system:${context.principal.subject}`;
    const record = (outcome: 'SUCCEEDED' | 'FAILED', result: TResult | null, errorCode: string | null) =>
      recordAudit(context.services.db, { tenantId: context.tenantId, actor, action, args, outcome, errorCode, ...targets(args, result) });
    try {
      const identity = authorize(context, role);
      const result = await run(args, context, identity);
      await record('SUCCEEDED', result, null);
      return result;
    } catch (error) {
      await record('FAILED', null, toAppError(error).code).catch(() => {});
      throw error;
    }
  };
}
