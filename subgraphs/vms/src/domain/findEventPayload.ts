import { sql } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import { operationKinds, operationStatuses, type StoredStep, type VmEventType } from '../db/schema.ts';
import { vmsOutbox } from './eventStreams.ts';
import type { VmDrift } from '../reconcile/recordDrift.ts';

/** A VM event as the API shows it. */
export interface VmEventView {
  type: VmEventType;
  vm: VmRow;
  version: number;
  occurredAt: Date;
  cursor: string;
  operationId: string | null;
  /** What the reconciler found on a DRIFTED event; null on others. */
  drift: VmDrift | null;
}

/** The VM event a cursor points at, if it belongs to the tenant and is still retained. */
export async function findVmEvent(db: Database, tenantId: string, cursor: string): Promise<VmEventView | null> {
  const { seq } = vmsOutbox.decodeCursor('vm', cursor);
  const [row] = await db.execute<{ type: VmEventType; payload: Record<string, unknown>; vm_version: number; created_at: string; operation_id: string | null }>(sql`
    select type, payload, vm_version, created_at, operation_id from vms.vm_events where seq = ${seq} and tenant_id = ${tenantId}`);
  if (!row) return null;
  const { drift, ...vm } = row.payload;
  return { type: row.type, vm: vmFromSnapshot(vm), version: row.vm_version, occurredAt: new Date(row.created_at), cursor, operationId: row.operation_id, drift: (drift as VmDrift | undefined) ?? null };
}

/** The operation as it was at the operation event a cursor points at. */
export async function findOperationAt(db: Database, tenantId: string, cursor: string): Promise<OperationRow | null> {
  const { seq } = vmsOutbox.decodeCursor('operation', cursor);
  const [row] = await db.execute<{ payload: Record<string, unknown> }>(sql`
    select payload from vms.operation_events where seq = ${seq} and tenant_id = ${tenantId}`);
  return row ? operationFromSnapshot(row.payload) : null;
}

const date = (value: unknown): Date => new Date(String(value));

/** Narrows a snapshot's enum column to its typed values; a value outside them means a corrupt snapshot. */
function oneOf<T extends string>(values: readonly T[], value: unknown, column: string): T {
  if (values.includes(value as T)) return value as T;
  throw new Error(`operation snapshot has an unknown ${column} ${JSON.stringify(value)}`);
}
const optionalDate = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value));

function vmFromSnapshot(payload: Record<string, unknown>): VmRow {
  return { ...(payload as unknown as VmRow), createdAt: date(payload.createdAt), updatedAt: date(payload.updatedAt) };
}

/** Reads a `to_jsonb(operations row)` snapshot (column names) back into an OperationRow. */
function operationFromSnapshot(payload: Record<string, unknown>): OperationRow {
  const text = (key: string) => (payload[key] === null || payload[key] === undefined ? null : String(payload[key]));
  return {
    id: String(payload.id),
    tenantId: String(payload.tenant_id),
    kind: oneOf(operationKinds, payload.kind, 'kind'),
    status: oneOf(operationStatuses, payload.status, 'status'),
    progress: Number(payload.progress),
    vmId: String(payload.vm_id),
    input: payload.input as Record<string, unknown>,
    inputDigest: String(payload.input_digest),
    idempotencyKey: text('idempotency_key'),
    steps: payload.steps as StoredStep[],
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    errorProviderCode: text('error_provider_code'),
    attempts: Number(payload.attempts),
    cancelRequested: Boolean(payload.cancel_requested),
    leaseOwner: text('lease_owner'),
    leaseEpoch: Number(payload.lease_epoch),
    leaseExpiresAt: optionalDate(payload.lease_expires_at),
    redriveCount: Number(payload.redrive_count),
    traceContext: text('trace_context'),
    version: Number(payload.version),
    createdAt: date(payload.created_at),
    updatedAt: date(payload.updated_at),
    startedAt: optionalDate(payload.started_at),
    finishedAt: optionalDate(payload.finished_at),
  };
}
