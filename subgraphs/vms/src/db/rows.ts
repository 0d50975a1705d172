import type { auditLog, operations, vmEvents, vms } from './schema.ts';

/** A row of `vms.vms`. */
export type VmRow = typeof vms.$inferSelect;
/** A row of `vms.operations`. */
export type OperationRow = typeof operations.$inferSelect;
/** A row of `vms.vm_events`. */
export type VmEventRow = typeof vmEvents.$inferSelect;
/** A row of `vms.audit_log`. */
export type AuditRow = typeof auditLog.$inferSelect;
