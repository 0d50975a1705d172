import type { OperationRow } from './rows.ts';
import type { StoredStep } from './schema.ts';

/** A `vms.operations` row as postgres.js returns it from hand-written SQL (drizzle's client: timestamps as text). */
export interface RawOperation {
  id: string;
  tenant_id: string;
  kind: OperationRow['kind'];
  status: OperationRow['status'];
  progress: number;
  vm_id: string;
  input: Record<string, unknown>;
  input_digest: string;
  idempotency_key: string | null;
  steps: StoredStep[];
  error_code: string | null;
  error_message: string | null;
  error_provider_code: string | null;
  attempts: number;
  cancel_requested: boolean;
  lease_owner: string | null;
  lease_epoch: number;
  lease_expires_at: string | null;
  redrive_count: number;
  trace_context: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** Maps a raw `vms.operations` row to the row type drizzle would return. */
export function toOperationRow(raw: RawOperation): OperationRow {
  return {
    id: raw.id,
    tenantId: raw.tenant_id,
    kind: raw.kind,
    status: raw.status,
    progress: raw.progress,
    vmId: raw.vm_id,
    input: raw.input,
    inputDigest: raw.input_digest,
    idempotencyKey: raw.idempotency_key,
    steps: raw.steps,
    errorCode: raw.error_code,
    errorMessage: raw.error_message,
    errorProviderCode: raw.error_provider_code,
    attempts: raw.attempts,
    cancelRequested: raw.cancel_requested,
    leaseOwner: raw.lease_owner,
    leaseEpoch: raw.lease_epoch,
    leaseExpiresAt: toDate(raw.lease_expires_at),
    redriveCount: raw.redrive_count,
    traceContext: raw.trace_context,
    version: raw.version,
    createdAt: new Date(raw.created_at),
    updatedAt: new Date(raw.updated_at),
    startedAt: toDate(raw.started_at),
    finishedAt: toDate(raw.finished_at),
  };
}

function toDate(value: string | Date | null): Date | null {
  return value === null ? null : new Date(value);
}
