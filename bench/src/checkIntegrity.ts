import type { Sql } from '@novacron/db';

/** One createVM the bench sent: its idempotency key, VM name, and the operation id it got back (null when it failed). */
export interface SentMutation {
  idempotencyKey: string;
  name: string;
  operationId: string | null;
}

/** What the database holds compared with what the clients were told. All "bad" counts must be 0. */
export interface IntegrityReport {
  sent: number;
  accepted: number;
  /** Accepted mutations whose returned operation id is not in `vms.operations`. */
  lostOperations: number;
  /** The same operation id returned for two different requests (every request had its own key). */
  duplicateReturnedIds: number;
  operationRows: number;
  /** Operation rows beyond the one each request's idempotency key should own. */
  duplicateOperations: number;
  /** Operation rows for a request that failed on the client side (timeout, …): committed but unacknowledged. Not a duplicate. */
  unacknowledgedOperations: number;
  /** Operation rows with no idempotency key or one the bench never sent. */
  unexpectedOperations: number;
  vmRows: number;
  /** Names (unique per request) with more than one VM row. */
  duplicateVms: number;
  /** Accepted operations whose VM row is missing. */
  missingVms: number;
  instanceRows: number;
  /** Extra simulated instances: client tokens (operation ids) with more than one instance. */
  duplicateInstances: number;
  /** Instances whose client token is not an operation id: made at the provider, unknown to NovaCron. */
  orphanInstances: number;
  /** SUCCEEDED creates without an instance, or whose VM's provider_id is not that instance. */
  mismatchedInstances: number;
  operationStatuses: Record<string, number>;
  vmStatuses: Record<string, number>;
  /** Operations in any status other than SUCCEEDED. */
  notSucceeded: number;
  /** The first few FAILED operations' error messages, with counts. */
  failureMessages: Record<string, number>;
}

interface OperationRow {
  id: string;
  status: string;
  vmId: string;
  idempotencyKey: string | null;
  errorMessage: string | null;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function excess(counts: Map<string, number>): number {
  let total = 0;
  for (const count of counts.values()) if (count > 1) total += count - 1;
  return total;
}

/**
 * Compares every mutation the bench sent with `vms.operations`, `vms.vms` and the simulated cloud's
 * `simcloud.instances`. Reads whole tables: the database is the bench's own and holds nothing else.
 */
export async function checkIntegrity(sql: Sql, sent: readonly SentMutation[]): Promise<IntegrityReport> {
  const operations: OperationRow[] = await sql<OperationRow[]>`
    select id, status, vm_id as "vmId", idempotency_key as "idempotencyKey", error_message as "errorMessage" from vms.operations`;
  const vms = await sql<{ id: string; name: string; status: string; providerId: string | null }[]>`
    select id, name, status, provider_id as "providerId" from vms.vms`;
  const instances = await sql<{ providerId: string; clientToken: string | null }[]>`
    select provider_id as "providerId", client_token as "clientToken" from simcloud.instances`;

  const accepted = sent.filter((mutation) => mutation.operationId !== null);
  const returnedIds = countBy(accepted, (mutation) => mutation.operationId!);
  const operationById = new Map(operations.map((operation) => [operation.id, operation]));
  const sentByKey = new Map(sent.map((mutation) => [mutation.idempotencyKey, mutation]));
  const vmById = new Map(vms.map((vm) => [vm.id, vm]));

  // Every request had its own key, so each key should own exactly one operation: the returned one,
  // or (for a request that failed on the client side) one committed before the answer was lost.
  let duplicateOperations = 0;
  let unacknowledgedOperations = 0;
  let unexpectedOperations = 0;
  const operationsByKey = new Map<string, OperationRow[]>();
  for (const operation of operations) {
    const request = operation.idempotencyKey === null ? undefined : sentByKey.get(operation.idempotencyKey);
    if (!request) {
      unexpectedOperations += 1;
      continue;
    }
    const group = operationsByKey.get(request.idempotencyKey) ?? [];
    group.push(operation);
    operationsByKey.set(request.idempotencyKey, group);
  }
  for (const [key, group] of operationsByKey) {
    const request = sentByKey.get(key)!;
    if (request.operationId === null) {
      unacknowledgedOperations += 1;
      duplicateOperations += group.length - 1;
    } else {
      duplicateOperations += group.filter((operation) => operation.id !== request.operationId).length;
    }
  }

  const instancesByToken = countBy(
    instances.filter((instance) => instance.clientToken !== null),
    (instance) => instance.clientToken!,
  );
  const providerIdByToken = new Map(instances.map((instance) => [instance.clientToken, instance.providerId]));
  let mismatchedInstances = 0;
  for (const operation of operations) {
    if (operation.status !== 'SUCCEEDED') continue;
    const providerId = providerIdByToken.get(operation.id);
    if (!providerId || vmById.get(operation.vmId)?.providerId !== providerId) mismatchedInstances += 1;
  }

  const operationStatuses = Object.fromEntries(countBy(operations, (operation) => operation.status));
  const failureMessages: Record<string, number> = {};
  for (const operation of operations) {
    if (operation.status === 'SUCCEEDED' || operation.status === 'QUEUED' || operation.status === 'RUNNING') continue;
    const message = `${operation.status}: ${operation.errorMessage ?? '(no message)'}`;
    if (message in failureMessages || Object.keys(failureMessages).length < 5) failureMessages[message] = (failureMessages[message] ?? 0) + 1;
  }

  return {
    sent: sent.length,
    accepted: accepted.length,
    lostOperations: [...returnedIds.keys()].filter((id) => !operationById.has(id)).length,
    duplicateReturnedIds: excess(returnedIds),
    operationRows: operations.length,
    duplicateOperations,
    unacknowledgedOperations,
    unexpectedOperations,
    vmRows: vms.length,
    duplicateVms: excess(countBy(vms, (vm) => vm.name)),
    missingVms: accepted.filter((mutation) => {
      const operation = operationById.get(mutation.operationId!);
      return !operation || !vmById.has(operation.vmId);
    }).length,
    instanceRows: instances.length,
    duplicateInstances: excess(instancesByToken),
    orphanInstances: [...instancesByToken.keys()].filter((token) => !operationById.has(token)).length,
    mismatchedInstances,
    operationStatuses,
    vmStatuses: Object.fromEntries(countBy(vms, (vm) => vm.status)),
    notSucceeded: operations.length - (operationStatuses.SUCCEEDED ?? 0),
    failureMessages,
  };
}

/** Whether the report shows anything lost or duplicated (the bench's hard failure). */
export function hasLossOrDuplication(report: IntegrityReport): boolean {
  return (
    report.lostOperations +
      report.duplicateReturnedIds +
      report.duplicateOperations +
      report.unexpectedOperations +
      report.duplicateVms +
      report.missingVms +
      report.duplicateInstances +
      report.orphanInstances >
    0
  );
}
