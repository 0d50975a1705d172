import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOperationDocument,
  CreateBudgetDocument,
  CreateVmDocument,
  NovaCronRequestError,
  QuotasDocument,
  SetQuotaDocument,
  waitForOperation,
  type NovaCronClient,
} from '@novacron/sdk';
import { injectFault } from '@novacron/providers';
import { waitFor } from '@novacron/testing';
import { createVmInput, startPlatform, type Platform } from '../src/index.ts';

// A create's quota hold is given back as soon as the create is refused after the hold, cancelled or
// failed, not when the hold expires. Placement does not follow the vms stream here
// (PLACEMENT_FOLLOW_VMS=false), so no VM event can confirm or free a hold: only vms's release call
// can, and a hold left behind would count for the reservation TTL (15 minutes).

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '10-30', workers: 0, subgraphEnv: { PLACEMENT_FOLLOW_VMS: 'false' } });
});
afterAll(async () => {
  await platform?.stop();
});

/** A tenant admin with a quota of 8 vCPUs in aws/us-east-1. */
async function tenantWithQuota(tenant: string): Promise<NovaCronClient> {
  const admin = await platform.clientFor({ tenant, role: 'admin' });
  await admin.request(SetQuotaDocument, { input: { provider: 'aws', region: 'us-east-1', vcpus: 8 } });
  return admin;
}

async function reservedVcpus(client: NovaCronClient): Promise<number | undefined> {
  const { quotas } = await client.request(QuotasDocument);
  return quotas.find((quota) => quota.provider === 'aws' && quota.region === 'us-east-1')?.reservedVcpus;
}

async function reservationStatus(operationId: string): Promise<string | undefined> {
  const [row] = await platform.database.sql<{ status: string }[]>`select status from placement.reservations where operation_id = ${operationId}`;
  return row?.status;
}

describe('quota holds of creates that do not go ahead', () => {
  it('releases the hold of a create refused by a BLOCK_CREATE budget before createVM answers', async () => {
    const admin = await tenantWithQuota('release-budget');
    await admin.request(CreateBudgetDocument, {
      input: { name: 'capped', amount: '0.000001', scope: { labels: [{ key: 'team', value: 'capped' }] }, thresholds: [], action: 'BLOCK_CREATE' },
    });
    const refused = await admin.request(CreateVmDocument, { input: createVmInput({ instanceType: 't3.medium', labels: { team: 'capped' } }) }).catch((error: unknown) => error);
    expect((refused as NovaCronRequestError).errors[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    const [held] = await platform.database.sql<{ status: string }[]>`select status from placement.reservations where tenant_id = 'release-budget'`;
    expect(held?.status).toBe('RELEASED');
    expect(await reservedVcpus(admin)).toBe(0);
  });

  it('releases the hold of a create cancelled while queued when cancelOperation answers', async () => {
    const admin = await tenantWithQuota('release-cancel');
    const { createVM } = await admin.request(CreateVmDocument, { input: createVmInput({ instanceType: 't3.medium' }) });
    expect(createVM.status).toBe('QUEUED'); // no worker runs in this platform
    expect(await reservedVcpus(admin)).toBe(2);
    const { cancelOperation } = await admin.request(CancelOperationDocument, { id: createVM.id });
    expect(cancelOperation.status).toBe('CANCELLED');
    expect(await reservationStatus(createVM.id)).toBe('RELEASED');
    expect(await reservedVcpus(admin)).toBe(0);
  });

  it('releases the hold of a create that fails at the provider once the operation has failed', async () => {
    const admin = await tenantWithQuota('release-failure');
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, region: 'us-east-1', code: 'InvalidAMIID.Malformed' });
    const { createVM } = await admin.request(CreateVmDocument, { input: createVmInput({ instanceType: 't3.medium' }) });
    expect(await reservedVcpus(admin)).toBe(2);
    await platform.addWorker(); // stopped with the platform
    const operation = await waitForOperation(admin, createVM.id, { timeoutMs: 60_000 });
    expect(operation.status).toBe('FAILED');
    expect(operation.error?.providerCode).toBe('InvalidAMIID.Malformed');
    // The worker releases right after it records the failure.
    await waitFor(async () => ((await reservationStatus(createVM.id)) === 'RELEASED' ? true : undefined), { timeoutMs: 15_000, description: 'the hold released' });
    expect(await reservedVcpus(admin)).toBe(0);
  });
});
