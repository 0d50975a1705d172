import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVmDocument,
  PlacementOptionsDocument,
  PlacementPolicyDocument,
  QuotasDocument,
  SetPlacementPolicyDocument,
  SetQuotaDocument,
  VmPlacementDocument,
  waitForOperation,
  type CreateVmInput,
  type NovaCronClient,
  type PlacementRequirements,
} from '@novacron/sdk';
import { injectFault } from '@novacron/providers';
import { waitFor } from '@novacron/testing';
import { createVmInput, startPlatform, type Platform } from '../src/index.ts';

// The placement subgraph through the gateway, as a client sees it: ranking, validation, admin-only
// policy and quotas per tenant, and the VM entity extended with its placement and alternatives, fed
// by placement's follower of the vms event stream.

let platform: Platform;
let alphaAdmin: NovaCronClient;
let alphaViewer: NovaCronClient;
let bravoAdmin: NovaCronClient;

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '20-60' });
  alphaAdmin = await platform.clientFor({ tenant: 'alpha', role: 'admin' });
  alphaViewer = await platform.clientFor({ tenant: 'alpha', role: 'viewer' });
  bravoAdmin = await platform.clientFor({ tenant: 'bravo', role: 'admin' });
});
afterAll(async () => {
  await platform?.stop();
});

describe('placement through the gateway', () => {
  it('ranks the whole catalog with reasons, cheapest feasible first', async () => {
    const { placementOptions } = await alphaViewer.request(PlacementOptionsDocument, { requirements: { vcpus: 2, memoryGib: 4 }, first: 3 });
    expect(placementOptions.candidates.map((c) => `${c.provider}/${c.region}/${c.instanceType}`)).toEqual(['aws/us-east-1/t3.medium', 'aws/us-east-2/t3.medium', 'aws/us-west-2/t3.medium']);
    expect(placementOptions.candidates[0]).toMatchObject({ hourlyPrice: 0.0416, monthlyPrice: 30.368, score: 1 });
    expect(placementOptions.rejected.map((r) => r.reason)).toEqual(['GPU', 'TOO_SMALL']);
  });

  it('answers bad requirements with BAD_USER_INPUT naming the field', async () => {
    const response = await alphaViewer.execute(PlacementOptionsDocument, { requirements: { vcpus: -4, memoryGib: 4 } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requirements.vcpus' });
    const arch = await alphaViewer.execute(PlacementOptionsDocument, { requirements: { vcpus: 2, memoryGib: 4, arch: 'riscv' } });
    expect(arch.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requirements.arch' });
  });

  it('keeps policies and quotas per tenant, and lets only admins set them', async () => {
    const forbidden = await alphaViewer.execute(SetQuotaDocument, { input: { provider: 'aws', region: 'us-east-1', vcpus: 8 } });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await alphaAdmin.request(SetQuotaDocument, { input: { provider: 'aws', region: 'us-east-1', vcpus: 8 } });
    await alphaAdmin.request(SetPlacementPolicyDocument, { input: { allowedProviders: ['aws'], deniedInstanceFamilies: ['m7g'] } });
    expect((await bravoAdmin.request(QuotasDocument)).quotas).toEqual([]);
    expect((await bravoAdmin.request(PlacementPolicyDocument)).placementPolicy.allowedProviders).toBeNull();
    expect((await alphaViewer.request(PlacementPolicyDocument)).placementPolicy).toMatchObject({ allowedProviders: ['aws'], deniedInstanceFamilies: ['m7g'] });
    const bravo = await bravoAdmin.request(PlacementOptionsDocument, { requirements: { vcpus: 2, memoryGib: 8, regions: ['us-east-1'], providers: ['aws'] }, first: 1 });
    const alpha = await alphaViewer.request(PlacementOptionsDocument, { requirements: { vcpus: 2, memoryGib: 8, regions: ['us-east-1'], providers: ['aws'] }, first: 1 });
    // us-east-1, 2 vCPUs / 8 GiB: m7g.large ($0.0816) is cheapest, but alpha's policy denies m7g: t3.large ($0.0832).
    expect(bravo.placementOptions.candidates[0]?.instanceType).toBe('m7g.large');
    expect(alpha.placementOptions.candidates[0]?.instanceType).toBe('t3.large');
    expect(alpha.placementOptions.rejected.find((r) => r.reason === 'POLICY')?.count).toBeGreaterThan(0);
  });

  it('counts a created VM against the quota through the followed vms stream and offers alternatives', async () => {
    const { createVM } = await alphaAdmin.request(CreateVmDocument, { input: createVmInput({ instanceType: 'm6i.large' }) });
    await waitForOperation(alphaAdmin, createVM.id, { timeoutMs: 60_000 });
    const vmId = createVM.vm?.id as string;
    const quota = await waitFor(async () => {
      const { quotas } = await alphaViewer.request(QuotasDocument);
      return quotas[0]?.usedVcpus === 2 ? quotas[0] : undefined;
    }, { timeoutMs: 30_000, description: 'the VM in the usage projection' });
    expect(quota).toMatchObject({ provider: 'aws', region: 'us-east-1', vcpus: 8, usedVcpus: 2 });
    const { vm } = await alphaViewer.request(VmPlacementDocument, { id: vmId, alternatives: 2 });
    expect(vm?.placement).toBeNull(); // placed explicitly, not by requirements
    // m6i.large is $0.096/h in us-east-1; with alpha's policy (aws, no m7g) t3.large there is $0.0832/h.
    expect(vm?.alternatives[0]).toMatchObject({ candidate: { provider: 'aws', instanceType: 't3.large', hourlyPrice: 0.0832 } });
    expect(vm?.alternatives.every((alternative) => alternative.monthlyDifference < 0)).toBe(true);
    // Another tenant's admin cannot reach the VM, nor its placement fields.
    expect((await bravoAdmin.request(VmPlacementDocument, { id: vmId })).vm).toBeNull();
  });
});

/** A createVM input with placement requirements instead of provider, region and instance type. */
function placedInput(placement: PlacementRequirements): CreateVmInput {
  const { name, image } = createVmInput();
  return { name, image, placement };
}

describe('place and create in one mutation', () => {
  it('fails over to the next candidate on a capacity fault: the VM runs on the second, the decision shows both attempts', async () => {
    const charlie = await platform.clientFor({ tenant: 'charlie', role: 'operator' });
    // us-east-1 and us-east-2 price t3.medium alike; preferring us-east-1 makes it the first candidate.
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, region: 'us-east-1' });
    const input = placedInput({ vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1', 'us-east-2'], preferRegions: ['us-east-1'] });
    const { createVM } = await charlie.request(CreateVmDocument, { input });
    const operation = await waitForOperation(charlie, createVM.id, { timeoutMs: 90_000 });
    expect(operation.status).toBe('SUCCEEDED');
    expect(operation.steps[0]).toMatchObject({ name: 'place', status: 'SUCCEEDED' });
    expect(operation.steps[0]?.message).toContain('aws/us-east-1/t3.medium');
    // Each attempt is a step of its own, named after its offering: the first FAILED with the capacity code.
    expect(operation.steps.map((step) => [step.name, step.status])).toEqual([
      ['place', 'SUCCEEDED'],
      ['validate', 'SUCCEEDED'],
      ['provision (aws us-east-1 t3.medium)', 'FAILED'],
      ['provision (aws us-east-2 t3.medium)', 'SUCCEEDED'],
      ['wait-running', 'SUCCEEDED'],
      ['finalize', 'SUCCEEDED'],
    ]);
    expect(operation.steps[2]?.message).toMatch(/^InsufficientInstanceCapacity: /);
    expect(operation.steps[3]?.message).toMatch(/^created /);
    // Progress never went back while the plan grew: every operationUpdated snapshot, in version order.
    const snapshots = await platform.database.sql<{ payload: { progress: number; steps: { name: string }[] } }[]>`
      select payload from vms.operation_events where operation_id = ${createVM.id} order by operation_version`;
    const progress = snapshots.map((snapshot) => snapshot.payload.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(snapshots.some((snapshot) => snapshot.payload.steps.some((step) => step.name === 'provision (aws us-east-2 t3.medium)'))).toBe(true);
    const { vm } = await charlie.request(VmPlacementDocument, { id: createVM.vm?.id as string });
    expect(vm).toMatchObject({ provider: 'aws', region: 'us-east-2', instanceType: 't3.medium' });
    expect(vm?.placement?.attempts.map((attempt) => [attempt.region, attempt.outcome])).toEqual([
      ['us-east-1', 'CAPACITY_FAILURE'],
      ['us-east-2', 'SUCCEEDED'],
    ]);
    expect(vm?.placement?.attempts[0]?.message).toContain('InsufficientInstanceCapacity');
    // The failed offering is blocked for new placements, for every tenant.
    const { placementOptions } = await alphaViewer.request(PlacementOptionsDocument, { requirements: { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1'] }, first: 1 });
    expect(placementOptions.rejected.find((r) => r.reason === 'RECENT_CAPACITY_FAILURE')?.examples[0]?.instanceType).toBe('t3.medium');
  });

  it('answers bad placement requirements with BAD_USER_INPUT naming the field, and writes nothing anywhere', async () => {
    const echo = await platform.clientFor({ tenant: 'echo', role: 'operator' });
    const negative = await echo.execute(CreateVmDocument, { input: placedInput({ vcpus: -1, memoryGib: 4 }) });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.placement.vcpus' });
    const region = await echo.execute(CreateVmDocument, { input: placedInput({ vcpus: 1, memoryGib: 1, regions: ['atlantis-1'] }) });
    expect(region.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.placement.regions.0' });
    const both = await echo.execute(CreateVmDocument, { input: { ...createVmInput(), placement: { vcpus: 1, memoryGib: 1 } } });
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.placement' });
    const [vms] = await platform.database.sql<{ count: number }[]>`select count(*)::int as count from vms.vms where tenant_id = 'echo'`;
    const [decisions] = await platform.database.sql<{ count: number }[]>`select count(*)::int as count from placement.decisions where tenant_id = 'echo'`;
    const [reservations] = await platform.database.sql<{ count: number }[]>`select count(*)::int as count from placement.reservations where tenant_id = 'echo'`;
    expect([vms?.count, decisions?.count, reservations?.count]).toEqual([0, 0, 0]);
  });

  it('refuses creates beyond a quota with QUOTA_EXCEEDED and writes nothing, also when they race', async () => {
    const deltaAdmin = await platform.clientFor({ tenant: 'delta', role: 'admin' });
    await deltaAdmin.request(SetQuotaDocument, { input: { provider: 'aws', region: 'us-west-2', vcpus: 4 } });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => deltaAdmin.execute(CreateVmDocument, { input: createVmInput({ region: 'us-west-2', instanceType: 't3.medium' }) })),
    );
    const accepted = results.filter((result) => result.data?.createVM);
    const refused = results.filter((result) => result.errors?.[0]?.extensions?.code === 'QUOTA_EXCEEDED');
    expect([accepted.length, refused.length]).toEqual([2, 4]); // 2 vCPUs each against 4
    const rows = await platform.database.sql<{ count: number }[]>`select count(*)::int as count from vms.vms where tenant_id = 'delta'`;
    expect(rows[0]?.count).toBe(2);
    const placed = await deltaAdmin.execute(CreateVmDocument, { input: placedInput({ vcpus: 2, memoryGib: 4, regions: ['us-west-2'], providers: ['aws'] }) });
    expect(placed.errors?.[0]?.extensions?.code).toBe('QUOTA_EXCEEDED');
  });
});
