import type { auditLog, operations, vmEvents, vms } from './schema.ts';

/** A row of `vms.vms`. */
export type VmRow = typeof vms.$inferSelect;
/** A row of `vms.operations`. */
export type OperationRow = typeof operations.$inferSelect;
/** A row of `vms.vm_events`. */
export type VmEventRow = typeof vmEvents.$inferSelect;
/** A row of `vms.audit_log`. */
export type AuditRow = typeof auditLog.$inferSelect;
/**
 * An operation as a mutation accepted it, with its VM as it stood at that moment. The mutation's answer
 * shows that one moment (a QUEUED operation and its VM before any worker touched it), not a VM a fast
 * worker has already moved on; a replayed idempotency key carries no VM, which is then read as it is now.
 */
export type AcceptedOperation = OperationRow & { acceptedVm?: VmRow };
