import { and, eq } from 'drizzle-orm';
import type { ProviderInstance } from '@novacron/providers';
import { operations } from '../db/schema.ts';
import type { OperationRun } from './OperationRun.ts';

/**
 * The instance the VM's create made (or may have made), found at the provider by the create's
 * client token, which is the CREATE operation's id; null when the provider holds none, or only a
 * deleted one. This is how a create whose provider id was never recorded (a lost response, a worker
 * killed mid-call, a failed or abandoned create) is found again instead of being orphaned.
 */
export async function findCreatedInstance(run: OperationRun): Promise<ProviderInstance | null> {
  let clientToken = run.operation.kind === 'CREATE' ? run.operation.id : null;
  if (!clientToken) {
    const [create] = await run.context.db
      .select({ id: operations.id })
      .from(operations)
      .where(and(eq(operations.vmId, run.vm.id), eq(operations.kind, 'CREATE')));
    clientToken = create?.id ?? null;
  }
  if (!clientToken) return null;
  // The VM's region: a real driver otherwise searches every region it knows, one call each.
  const instance = await run.driver.findByClientToken(clientToken, { region: run.vm.region });
  return instance && instance.state !== 'DELETED' && instance.state !== 'DELETING' ? instance : null;
}
