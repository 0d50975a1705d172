import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import { appError, badInput } from '@novacron/errors';
import type { Database, Executor } from '../db/createDatabase.ts';
import { decisions, type StoredAttempt } from '../db/schema.ts';
import { loadPlacementState, recentOutcomes, recordCapacityFailure, type HistoryWindows } from './loadPlacementState.ts';
import { offeringKey } from './PlacementPolicy.ts';
import { rankPlacements, type PlacementCandidate, type PlacementRejection } from './rankPlacements.ts';
import { releaseReservation, reserveCapacity } from './reserveCapacity.ts';
import type { PlacementRequirements } from './validateRequirements.ts';

/** A placement decision as resolvers read it. */
export interface PlacementDecision {
  id: string;
  tenantId: string;
  operationId: string;
  vmId: string | null;
  requirements: PlacementRequirements;
  candidates: PlacementCandidate[];
  rejected: PlacementRejection[];
  feasibleCount: number;
  chosen: PlacementCandidate | null;
  reason: string;
  attempts: StoredAttempt[];
  createdAt: Date;
}

/** How many ranked candidates a decision keeps to fail over to. */
export const candidatesPerDecision = 10;

type DecisionRow = typeof decisions.$inferSelect;

function describeChoice(chosen: PlacementCandidate | null, row: DecisionRow, feasibleCount: number): string {
  if (!chosen) return `no candidate left: ${row.attempts.length} attempt(s) failed for lack of capacity`;
  const index = row.chosenIndex ?? 0;
  const position = index === 0 ? `the best of ${feasibleCount} feasible offerings` : `candidate ${index + 1} of ${feasibleCount}, after ${index} capacity failure(s)`;
  const terms = chosen.scoreBreakdown.filter((term) => term.weight > 0).map((term) => `${term.name} ${term.value}×${term.weight}`).join(', ');
  return `${chosen.provider}/${chosen.region}/${chosen.instanceType} at $${chosen.hourlyPrice}/h: ${position}, score ${chosen.score} (${terms})`;
}

function toDecision(row: DecisionRow): PlacementDecision {
  const candidates = row.candidates as unknown as PlacementCandidate[];
  const chosen = row.chosenIndex === null ? null : (candidates[row.chosenIndex] ?? null);
  return {
    id: row.id,
    tenantId: row.tenantId,
    operationId: row.operationId,
    vmId: row.vmId,
    requirements: row.requirements as unknown as PlacementRequirements,
    candidates,
    rejected: row.rejected as unknown as PlacementRejection[],
    feasibleCount: row.feasibleCount,
    chosen,
    reason: describeChoice(chosen, row, row.feasibleCount),
    attempts: row.attempts,
    createdAt: row.createdAt,
  };
}

/** The decision that placed a VM, in the caller's tenant only; null for another tenant's VM or a VM placed explicitly. */
export async function findDecisionForVm(db: Executor, tenantId: string, vmId: string): Promise<PlacementDecision | null> {
  const [row] = await db.select().from(decisions).where(and(eq(decisions.tenantId, tenantId), eq(decisions.vmId, vmId))).orderBy(decisions.createdAt).limit(1);
  return row ? toDecision(row) : null;
}

/** VM ids are UUIDs; anything else can never have a decision (and would fail the whole statement). */
const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/**
 * {@link findDecisionForVm} of many VMs in one statement: one entry per id, in order (null for a VM of
 * another tenant, one placed explicitly or an id that is not a VM's).
 */
export async function findDecisionsForVms(db: Executor, tenantId: string, vmIds: readonly string[]): Promise<(PlacementDecision | null)[]> {
  const wanted = [...new Set(vmIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const rows = wanted.length === 0 ? [] : await db.select().from(decisions).where(and(eq(decisions.tenantId, tenantId), inArray(decisions.vmId, wanted))).orderBy(decisions.createdAt);
  // The first decision of each VM, as findDecisionForVm reads it (rows come oldest first).
  const firstByVm = new Map<string, DecisionRow>();
  for (const row of rows) if (row.vmId && !firstByVm.has(row.vmId)) firstByVm.set(row.vmId, row);
  return vmIds.map((vmId) => {
    const row = firstByVm.get(vmId.toLowerCase());
    return row ? toDecision(row) : null;
  });
}

/** The decision of an operation, in the caller's tenant only. */
export async function findDecisionForOperation(db: Executor, tenantId: string, operationId: string): Promise<PlacementDecision | null> {
  const [row] = await db.select().from(decisions).where(and(eq(decisions.tenantId, tenantId), eq(decisions.operationId, operationId)));
  return row ? toDecision(row) : null;
}

/** What placing a create needs. */
export interface PlaceRequest {
  tenantId: string;
  operationId: string;
  vmId: string | null;
  requirements: PlacementRequirements;
  windows: HistoryWindows;
  reservationTtlSeconds: number;
}

/**
 * The `place` step of a create: ranks the catalog for the tenant, reserves quota on the best
 * candidate that still has room (a concurrent create may have taken it since ranking), and records
 * the decision with a PENDING attempt. Idempotent by operation id. Refused with QUOTA_EXCEEDED when
 * quota is what rules every candidate out, BAD_USER_INPUT (field `placement`) when nothing fits.
 */
export async function placeForOperation(db: Database, catalog: Catalog, request: PlaceRequest): Promise<PlacementDecision> {
  const existing = await findDecisionForOperation(db, request.tenantId, request.operationId);
  if (existing) return existing;
  const state = await loadPlacementState(db, request.tenantId, request.windows);
  const ranked = rankPlacements(catalog.entries, request.requirements, state, candidatesPerDecision);
  let quotaRefusal: unknown = null;
  for (const [index, candidate] of ranked.candidates.entries()) {
    try {
      await reserveCapacity(db, { tenantId: request.tenantId, operationId: request.operationId, vmId: request.vmId, provider: candidate.provider, region: candidate.region, vcpus: candidate.vcpus, ttlSeconds: request.reservationTtlSeconds });
    } catch (error) {
      if ((error as { code?: string }).code !== 'QUOTA_EXCEEDED') throw error;
      quotaRefusal = error;
      continue;
    }
    const attempt: StoredAttempt = { provider: candidate.provider, region: candidate.region, instanceType: candidate.instanceType, outcome: 'PENDING', message: null, at: new Date().toISOString() };
    const [row] = await db
      .insert(decisions)
      .values({
        tenantId: request.tenantId,
        operationId: request.operationId,
        vmId: request.vmId,
        requirements: request.requirements as unknown as Record<string, unknown>,
        feasibleCount: ranked.feasibleCount,
        candidates: ranked.candidates as unknown as Record<string, unknown>[],
        rejected: ranked.rejected as unknown as Record<string, unknown>[],
        chosenIndex: index,
        attempts: [attempt],
      })
      .onConflictDoNothing({ target: decisions.operationId })
      .returning();
    return row ? toDecision(row) : ((await findDecisionForOperation(db, request.tenantId, request.operationId)) as PlacementDecision);
  }
  if (quotaRefusal || ranked.rejected.some((rejection) => rejection.reason === 'QUOTA')) {
    throw quotaRefusal ?? appError('QUOTA_EXCEEDED', 'every offering that fits these requirements would exceed a vCPU quota of your tenant', { rejected: ranked.rejected.map(({ reason, count }) => ({ reason, count })) });
  }
  throw badInput('placement', 'no offering satisfies these requirements', { rejected: ranked.rejected.map(({ reason, count }) => ({ reason, count })) });
}

/** How the provider answered the current attempt. */
export interface AttemptReport {
  tenantId: string;
  operationId: string;
  outcome: 'SUCCEEDED' | 'CAPACITY_FAILURE' | 'FAILED';
  message?: string | null;
}

/**
 * Records how the current attempt ended. After a capacity failure the offering is blocked for new
 * placements (create_outcomes), and the decision moves to the next candidate that is not blocked and
 * has quota, moving the reservation with it and adding a PENDING attempt; with none left, the
 * reservation is released and `chosen` becomes null. A failure of another kind releases the reservation.
 */
export async function reportPlacementAttempt(db: Database, report: AttemptReport, windows: HistoryWindows, reservationTtlSeconds: number): Promise<PlacementDecision> {
  const decision = await findDecisionForOperation(db, report.tenantId, report.operationId);
  if (!decision) throw appError('NOT_FOUND', `operation ${report.operationId} has no placement decision`, { operationId: report.operationId });
  const attempts = [...decision.attempts];
  const current = attempts.at(-1);
  if (!current || current.outcome !== 'PENDING') return decision; // already reported (a retried step)
  attempts[attempts.length - 1] = { ...current, outcome: report.outcome, message: report.message ?? null, at: new Date().toISOString() };
  let chosenIndex: number | null = decision.candidates.findIndex((c) => offeringKey(c.provider, c.region, c.instanceType) === offeringKey(current.provider, current.region, current.instanceType));
  if (report.outcome === 'CAPACITY_FAILURE') {
    await recordCapacityFailure(db, current);
    const { blocked } = await recentOutcomes(db, windows);
    const tried = new Set(attempts.map((a) => offeringKey(a.provider, a.region, a.instanceType)));
    chosenIndex = null;
    for (const [index, candidate] of decision.candidates.entries()) {
      const key = offeringKey(candidate.provider, candidate.region, candidate.instanceType);
      if (tried.has(key) || blocked.has(key)) continue;
      try {
        await reserveCapacity(db, { tenantId: report.tenantId, operationId: report.operationId, vmId: decision.vmId, provider: candidate.provider, region: candidate.region, vcpus: candidate.vcpus, ttlSeconds: reservationTtlSeconds });
      } catch (error) {
        if ((error as { code?: string }).code === 'QUOTA_EXCEEDED') continue;
        throw error;
      }
      chosenIndex = index;
      attempts.push({ provider: candidate.provider, region: candidate.region, instanceType: candidate.instanceType, outcome: 'PENDING', message: null, at: new Date().toISOString() });
      break;
    }
    if (chosenIndex === null) await releaseReservation(db, report.tenantId, report.operationId);
  } else if (report.outcome === 'FAILED') {
    await releaseReservation(db, report.tenantId, report.operationId);
  }
  const [row] = await db
    .update(decisions)
    .set({ attempts, chosenIndex, updatedAt: sql`now()` })
    .where(and(eq(decisions.tenantId, report.tenantId), eq(decisions.operationId, report.operationId)))
    .returning();
  return toDecision(row as DecisionRow);
}
