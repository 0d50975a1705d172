import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BudgetAlertsDocument,
  BudgetsDocument,
  CostReportDocument,
  CreateBudgetDocument,
  CreateVmDocument,
  VmCostDocument,
  waitForOperation,
} from '@novacron/sdk';
import { NovaCronRequestError } from '@novacron/sdk';
import { encodeEventCursor } from '@novacron/events';
import { waitFor } from '@novacron/testing';
import { collect, createVmInput, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  // Billing's periodic pass (thresholds, webhooks) every 300 ms instead of 30 s.
  platform = await startPlatform({ subgraphEnv: { BILLING_TASKS_INTERVAL_MS: '300', BUDGET_CHECK_FAIL_OPEN_TENANTS: 'lenient' } });
});
afterAll(async () => {
  await platform?.stop();
});

const micros = (amount: string) => BigInt(amount.replace('.', ''));

describe('billing through the gateway', () => {
  let vmId = '';

  it('prices a VM the vms subgraph created, from the followed event stream', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { team: 'billing-e2e' } }) });
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.vm?.status).toBe('RUNNING');
    vmId = done.vm!.id;
    // t3.micro in us-east-1 at $0.0104/h, plus its 8 GB gp3 boot disk ($0.64 per 730 h = 877 µ$/h).
    const cost = await waitFor(
      async () => {
        const { vm } = await platform.client.request(VmCostDocument, { id: vmId });
        return vm?.cost.hourlyRate === '0.011277' ? vm.cost : undefined;
      },
      { description: 'billing to follow the VM to RUNNING' },
    );
    expect(cost).toMatchObject({ computeHourly: '0.010400', diskMonthly: '0.640000', currency: 'USD', spot: false, priced: true });
    expect(micros(cost.projectedMonth)).toBeGreaterThanOrEqual(micros(cost.accruedMonthToDate));
  });

  it('reports this month with groups that add up to the total, and shows another tenant nothing', async () => {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    const { costReport } = await platform.client.request(CostReportDocument, { from, to, groupBy: ['PROVIDER', 'LABEL'], labelKey: 'team', step: 'DAY' });
    expect(costReport.groups.map((group) => group.key)).toContainEqual({ provider: 'aws', region: null, instanceType: null, label: 'billing-e2e' });
    expect(costReport.groups.reduce((sum, group) => sum + micros(group.total), 0n)).toBe(micros(costReport.total));
    expect(costReport.buckets.reduce((sum, bucket) => sum + micros(bucket.amount), 0n)).toBe(micros(costReport.total));

    const stranger = await platform.clientFor({ tenant: 'stranger', role: 'admin' });
    expect((await stranger.request(VmCostDocument, { id: vmId })).vm).toBeNull();
    expect((await stranger.request(CostReportDocument, { from, to, groupBy: ['PROVIDER'] })).costReport).toMatchObject({ total: '0.000000', groups: [] });
    expect((await stranger.request(BudgetsDocument)).budgets).toEqual([]);
  });

  it('pushes a crossed budget threshold to budgetAlerts subscribers over graphql-ws, once, and to no other tenant', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const otherClient = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'billing-e2e-other', role: 'admin' }) });
    // Resumed from the start of the stream, so the alert arrives however late the subscription starts.
    const alerts = collect(client, BudgetAlertsDocument, { after: encodeEventCursor({ stream: 'billing.alert', txid: '0', seq: 0 }) });
    const otherAlerts = collect(otherClient, BudgetAlertsDocument, { after: encodeEventCursor({ stream: 'billing.alert', txid: '0', seq: 0 }) });
    let otherEnded = false;
    void otherAlerts.error.then(() => (otherEnded = true));
    void otherAlerts.completed.then(() => (otherEnded = true));
    try {
      // The forecast runs to the end of the current month at the VM's rate ($0.011277/h): in the month's
      // last hour it is under a cent. A budget of 1 µ$ is crossed at any time of the month, as the VM has
      // accrued more than that since the first test started it.
      const { createBudget } = await platform.client.request(CreateBudgetDocument, {
        input: { name: 'e2e-forecast', amount: '0.000001', scope: { labels: [{ key: 'team', value: 'billing-e2e' }] }, thresholds: [{ percent: 100, basis: 'FORECAST' }], action: 'ALERT' },
      });
      await alerts.waitFor((results) => results.length >= 1, 30_000);
      expect(alerts.results[0]?.errors).toBeUndefined();
      expect(alerts.results[0]?.data?.budgetAlerts).toMatchObject({ kind: 'THRESHOLD_CROSSED', budgetId: createBudget.id, budgetName: 'e2e-forecast', basis: 'FORECAST', thresholdPercent: 100 });
      // More passes run; the threshold does not fire again this period.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(alerts.results).toHaveLength(1);
      // The other tenant's subscription, replayed from the same start and still open, saw nothing of it.
      expect(otherAlerts.results).toEqual([]);
      expect(otherEnded).toBe(false);
    } finally {
      alerts.stop();
      otherAlerts.stop();
      await client.dispose();
      await otherClient.dispose();
    }
  });

  it('refuses a createVM that a BLOCK_CREATE budget cannot afford, writing nothing, and lets out-of-scope creates through', async () => {
    await platform.client.request(CreateBudgetDocument, {
      input: { name: 'e2e-capped', amount: '0.000001', scope: { labels: [{ key: 'team', value: 'capped' }] }, thresholds: [], action: 'BLOCK_CREATE' },
    });
    const capped = createVmInput({ labels: { team: 'capped' } });
    const refused = await platform.client.request(CreateVmDocument, { input: capped }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NovaCronRequestError);
    expect((refused as NovaCronRequestError).errors[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', budgetName: 'e2e-capped' });
    const [{ count }] = await platform.database.sql<[{ count: number }]>`select count(*)::int as count from vms.vms where name = ${capped.name}`;
    expect(count).toBe(0);
    const free = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { team: 'free' } }) });
    expect(free.createVM.status).toBe('QUEUED');
  });

  it('fails a create closed when billing is unreachable, unless the tenant fails open', async () => {
    await platform.subgraphs.billing!.stop();
    const refused = await platform.client.request(CreateVmDocument, { input: createVmInput() }).catch((error: unknown) => error);
    expect((refused as NovaCronRequestError).errors[0]?.extensions).toMatchObject({ code: 'BUDGET_CHECK_UNAVAILABLE' });
    const lenient = await platform.clientFor({ tenant: 'lenient', role: 'operator' });
    const allowed = await lenient.request(CreateVmDocument, { input: createVmInput() });
    expect(allowed.createVM.status).toBe('QUEUED');
  });
});
