/**
 * The vms side of placement for createVM (the placement subgraph owns the decision, quotas and
 * reservations; this file only calls it). Every create reserves quota before anything is written
 * here, keyed by the operation id, so a create beyond a quota is refused with QUOTA_EXCEEDED and
 * nothing written, however many race. A create with `placement` requirements is placed first: the
 * chosen candidate fills in provider, region and instance type, and the decision is recorded as the
 * operation's `place` step. Fail-closed: when the placement subgraph cannot be reached, createVM
 * fails with UNAVAILABLE rather than create past a quota.
 */
import { hash, randomUUID } from 'node:crypto';
import type { Identity } from '@novacron/auth';
import { appError, badInput } from '@novacron/errors';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import type { CreateVmInput } from './validateCreateInput.ts';
import type { StoredStep } from '../db/schema.ts';

/** How a create reaches the placement subgraph: the kit's client and the caller to re-sign for it. */
export interface PlacementCall {
  client: SubgraphClient;
  caller: Identity;
}

/** The ids a create will have, known before anything is written so placement can key its reservation. */
export interface CreateIds {
  operationId: string;
  vmId: string;
}

/** A UUID (v4 layout) from a hash: the same key gives the same id. */
function uuidFrom(seed: string): string {
  // The one-shot hash (no Hash stream object per call): two per createVM with an idempotency key.
  const hex = hash('sha256', seed, 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The operation and VM ids of a create. With an idempotency key they derive from (tenant, key), so
 * a replay asks placement again under the same operation id and gets the same decision and
 * reservation back instead of a second one.
 */
export function createIdsFor(tenantId: string, idempotencyKey: string | null): CreateIds {
  if (idempotencyKey === null) return { operationId: randomUUID(), vmId: randomUUID() };
  const seed = `${tenantId.length}:${tenantId}:${idempotencyKey}`;
  return { operationId: uuidFrom(`operation:${seed}`), vmId: uuidFrom(`vm:${seed}`) };
}

const placeVm = `mutation PlaceVm($operationId: ID!, $vmId: ID, $requirements: PlacementRequirements!) {
  _placeVm(operationId: $operationId, vmId: $vmId, requirements: $requirements) { reason chosen { provider region instanceType } }
}`;
const reserveCapacity = `mutation ReserveCapacity($operationId: ID!, $vmId: ID, $provider: String!, $region: String!, $instanceType: String!) {
  _reserveCapacity(operationId: $operationId, vmId: $vmId, provider: $provider, region: $region, instanceType: $instanceType)
}`;

/** Where a placed create goes, and the `place` step that records why. */
export interface Placement {
  provider: string;
  region: string;
  instanceType: string;
  step: StoredStep;
}

/** Places a create with `placement` requirements (reserving the chosen candidate's quota). */
export async function placeCreate(call: PlacementCall, input: CreateVmInput, ids: CreateIds): Promise<Placement> {
  if (!input.placement) throw new Error('placeCreate needs placement requirements');
  if (input.provider || input.region || input.instanceType) {
    throw badInput('input.placement', 'give either placement requirements or provider, region and instanceType, not both');
  }
  const startedAt = new Date().toISOString();
  const { _placeVm: decision } = await call.client.request<{ _placeVm: { reason: string; chosen: { provider: string; region: string; instanceType: string } | null } }>(
    'placement',
    placeVm,
    { operationId: ids.operationId, vmId: ids.vmId, requirements: input.placement },
    call.caller,
  );
  if (!decision.chosen) throw appError('UNAVAILABLE', 'placement found no candidate for this create', { reason: decision.reason });
  return { ...decision.chosen, step: { name: 'place', status: 'SUCCEEDED', startedAt, finishedAt: new Date().toISOString(), message: decision.reason } };
}

/** Reserves quota for an explicitly placed create; QUOTA_EXCEEDED beyond the tenant's quota. */
export async function reserveCreateCapacity(call: PlacementCall, create: { provider: string; region: string; instanceType: string }, ids: CreateIds): Promise<void> {
  await call.client.request('placement', reserveCapacity, { operationId: ids.operationId, vmId: ids.vmId, ...create }, call.caller);
}

const reportAttempt = `mutation ReportPlacementAttempt($operationId: ID!, $outcome: PlacementAttemptOutcome!, $message: String, $tenantId: String) {
  _reportPlacementAttempt(operationId: $operationId, outcome: $outcome, message: $message, tenantId: $tenantId) { chosen { provider region instanceType } }
}`;

/** Provider error codes that mean "no capacity here now" (the simulated cloud uses EC2's). */
export const capacityErrorCodes = new Set(['InsufficientInstanceCapacity', 'ZONE_RESOURCE_POOL_EXHAUSTED', 'SkuNotAvailable', 'AllocationFailed']);

/**
 * Tells placement how a placed create's current attempt ended (as NovaCron, for the tenant). After a
 * capacity failure it returns the next candidate, or null when there is none; null too when the
 * operation was not placed by requirements (placement has no decision for it).
 */
export async function reportCreateAttempt(
  client: SubgraphClient,
  attempt: { tenantId: string; operationId: string; outcome: 'SUCCEEDED' | 'CAPACITY_FAILURE' | 'FAILED'; message: string | null },
): Promise<{ provider: string; region: string; instanceType: string } | null> {
  try {
    const { _reportPlacementAttempt: decision } = await client.request<{ _reportPlacementAttempt: { chosen: { provider: string; region: string; instanceType: string } | null } }>(
      'placement',
      reportAttempt,
      { operationId: attempt.operationId, outcome: attempt.outcome, message: attempt.message, tenantId: attempt.tenantId },
      { system: true, subject: 'vms/worker' },
    );
    return decision.chosen;
  } catch (error) {
    if ((error as { code?: string }).code === 'NOT_FOUND') return null;
    throw error;
  }
}

const releaseCapacity = `mutation ReleaseCapacity($operationId: ID!, $tenantId: String) {
  _releaseCapacity(operationId: $operationId, tenantId: $tenantId)
}`;

/**
 * Releases the quota a create holds (it failed, was cancelled, or was refused after the hold), as
 * NovaCron for the tenant, so the quota is free at once instead of when the hold expires. Idempotent
 * by operation id: placement releases only a HELD reservation and answers false when there is none
 * (an explicit create on a platform without quotas, a hold already released or confirmed).
 */
export async function releaseCreateCapacity(client: SubgraphClient, hold: { tenantId: string; operationId: string }): Promise<boolean> {
  const { _releaseCapacity: released } = await client.request<{ _releaseCapacity: boolean }>('placement', releaseCapacity, hold, { system: true, subject: 'vms/release-capacity' });
  return released;
}
