import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { loadCatalog } from '@novacron/catalog';
import { createLogger } from '@novacron/server-kit';
import { createDatabase } from '../src/db/createDatabase.ts';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { setBudgetWebhook } from '../src/domain/budgetWebhooks.ts';
import { evaluateBudgetAlerts } from '../src/domain/evaluateBudgetAlerts.ts';
import { detectCostAnomalies } from '../src/domain/detectCostAnomalies.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { start } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';
import { vmEventStream } from './support/vmEventStream.ts';

let database: TestDatabase;
let running: Awaited<ReturnType<typeof start>>;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
const now = epochSeconds('2026-11-16T00:00:00Z');

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function call(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(running.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { [internalTokenHeader]: token } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLAnswer;
}
const as = (tenant: string, role: 'viewer' | 'operator' | 'admin' = 'admin') => async (query: string, variables?: Record<string, unknown>) => call(await keys.forUser(tenant, role), query, variables);

const acme = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
let alertCursor = '';
let budgetId = '';

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  running = await start(testConfig(database.url, keys.keysDir), createLogger('billing', 'silent'), { now: () => now, tasks: false });
  acme.created('2026-11-01T00:00:00Z');
  acme.running('2026-11-01T00:00:00Z');
  const spike = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.8xlarge' });
  spike.created('2026-11-15T00:00:00Z');
  spike.running('2026-11-15T00:00:00Z');
  spike.deleted('2026-11-15T12:00:00Z');
  const db = createDatabase(database.sql);
  await db.transaction((tx) => applyVmEvents(tx, [...acme.events, ...spike.events], loadCatalog()));
});
afterAll(async () => {
  await running?.stop();
  await database?.drop();
});

describe('the billing subgraph', () => {
  it('refuses a request without the gateway’s internal token', async () => {
    const answer = await call(null, '{ budgets { id } }');
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('creates a budget (admin) and refuses bad input with the field, writing nothing', async () => {
    const create = `mutation($input: CreateBudgetInput!) { createBudget(input: $input) { id name amount spent forecast remaining action thresholds { percent basis } scope { providers regions labels { key value } } } }`;
    const bad = await as('acme')(create, { input: { name: 'x', amount: '-1', scope: { providers: ['aws'] }, thresholds: [] } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    const empty = await as('acme')(create, { input: { name: 'x', amount: '10', scope: {}, thresholds: [] } });
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scope' });
    const tooHigh = await as('acme')(create, { input: { name: 'x', amount: '10', scope: { regions: ['us-east-1'] }, thresholds: [{ percent: 1001 }] } });
    expect(tooHigh.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.thresholds.0.percent' });
    const viewer = await as('acme', 'viewer')(create, { input: { name: 'x', amount: '10', scope: { providers: ['aws'] }, thresholds: [] } });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const [{ count }] = await database.sql<[{ count: number }]>`select count(*)::int as count from billing.budgets`;
    expect(count).toBe(0);

    const made = await as('acme')(create, {
      input: { name: 'prod', amount: '50', scope: { labels: [{ key: 'env', value: 'prod' }] }, thresholds: [{ percent: 50, basis: 'ACTUAL' }], action: 'BLOCK_CREATE' },
    });
    expect(made.errors).toBeUndefined();
    // 15 days of the prod m6i.large: 360 h × $0.096 + 15 × $0.021041.
    expect(made.data?.createBudget).toMatchObject({ name: 'prod', amount: '50.000000', spent: '34.875615', remaining: '15.124385', action: 'BLOCK_CREATE', thresholds: [{ percent: 50, basis: 'ACTUAL' }] });
    budgetId = made.data?.createBudget.id;
  });

  it('resolves VM.cost and rightsizing through _entities for the VM’s own tenant only', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on VM { id cost { hourlyRate computeHourly diskMonthly accruedMonthToDate projectedMonth currency } rightsizing { status evidence { reason } } } } }`;
    const own = await as('acme', 'viewer')(query, { reps: [{ __typename: 'VM', id: acme.id }] });
    expect(own.errors).toBeUndefined();
    expect(own.data?._entities[0]).toMatchObject({
      cost: { hourlyRate: '0.096877', computeHourly: '0.096000', diskMonthly: '0.640000', accruedMonthToDate: '34.875615', projectedMonth: '69.751230', currency: 'USD' },
      rightsizing: { status: 'NOT_ENOUGH_DATA', evidence: { reason: 'no metrics subgraph is configured' } },
    });
    const foreign = await as('globex', 'viewer')(query, { reps: [{ __typename: 'VM', id: acme.id }] });
    expect(foreign.errors?.map((error) => error.extensions?.code)).toContain('NOT_FOUND');
    expect(JSON.stringify(foreign.data ?? {})).not.toContain('34.875615');
  });

  it('reports costs per group that add up to the total, and nothing of another tenant', async () => {
    const query = `query($from: DateTime!, $to: DateTime!) { costReport(from: $from, to: $to, groupBy: [INSTANCE_TYPE], step: MONTH) { total groups { key { instanceType } total } buckets { start amount } } }`;
    const variables = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    const own = await as('acme', 'viewer')(query, variables);
    const report = own.data?.costReport;
    // m6i.large: 34.875615; m6i.8xlarge: 12 h × $1.536 = 18.432 + disk 12 h (640,000 × 43,200 / 2,628,000 = 10,520.55 → 10,521).
    expect(report.groups).toEqual([
      { key: { instanceType: 'm6i.large' }, total: '34.875615' },
      { key: { instanceType: 'm6i.8xlarge' }, total: '18.442521' },
    ]);
    expect(report.total).toBe('53.318136');
    const foreign = await as('globex', 'viewer')(query, variables);
    expect(foreign.data?.costReport).toMatchObject({ total: '0.000000', groups: [] });
    const bad = await as('acme', 'viewer')(`{ costReport(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", groupBy: [LABEL]) { total } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'labelKey' });
  });

  it('keeps budgets, anomalies, webhooks, deliveries and alerts to their tenant', async () => {
    const db = running.services.db;
    await setBudgetWebhook(db, running.services.secretKeys, 'acme', { url: 'http://127.0.0.1:1/hook', secret: 'acme-secret-0123456789' });
    await evaluateBudgetAlerts(db, 'acme', epochSeconds('2026-11-23T00:00:00Z'));
    await detectCostAnomalies(db, 'acme', epochSeconds('2026-11-15T00:00:00Z'));
    const [event] = await database.sql`select seq, txid::text as txid from billing.alert_events where tenant_id = 'acme' order by seq limit 1`;
    const { encodeEventCursor } = await import('@novacron/events');
    alertCursor = encodeEventCursor({ stream: 'billing.alert', txid: event!.txid, seq: Number(event!.seq) });

    const everything = `query($cursor: String!, $from: DateTime!, $to: DateTime!) {
      budgets { id }
      costAnomalies(from: $from, to: $to) { id scope spend }
      budgetWebhook { url }
      budgetWebhookDeliveries { id status }
      budgetAlertAt(cursor: $cursor) { kind budgetId spent }
    }`;
    const variables = { cursor: alertCursor, from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    const own = await as('acme')(everything, variables);
    expect(own.errors).toBeUndefined();
    expect(own.data).toMatchObject({
      budgets: [{ id: budgetId }],
      budgetWebhook: { url: 'http://127.0.0.1:1/hook' },
      budgetAlertAt: { kind: 'THRESHOLD_CROSSED', budgetId },
    });
    expect(own.data?.costAnomalies.length).toBeGreaterThan(0);
    expect(own.data?.budgetWebhookDeliveries.length).toBe(own.data!.costAnomalies.length + 1);

    const foreign = await as('globex')(everything, variables);
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data).toEqual({ budgets: [], costAnomalies: [], budgetWebhook: null, budgetWebhookDeliveries: [], budgetAlertAt: null });
    const viewer = await as('acme', 'viewer')(`{ budgetWebhookDeliveries { id } }`);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets no tenant change or delete another tenant’s budget', async () => {
    const update = await as('globex')(
      `mutation($id: ID!) { updateBudget(id: $id, input: { name: "mine", amount: "1", scope: { providers: ["aws"] }, thresholds: [], action: ALERT }) { id } }`,
      { id: budgetId },
    );
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const remove = await as('globex')(`mutation($id: ID!) { deleteBudget(id: $id) }`, { id: budgetId });
    expect(remove.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const [{ name }] = await database.sql<[{ name: string }]>`select name from billing.budgets where id = ${budgetId}`;
    expect(name).toBe('prod');
  });

  it('reserves budget for a create, refuses the one that would overshoot, and scopes holds to the tenant', async () => {
    const reserve = `mutation($op: String!) { reserveBudget(operationId: $op, spec: { provider: "aws", region: "us-east-1", instanceType: "m6i.large", image: "ubuntu-24.04", labels: { env: "prod" } }) { status amount budgetIds } }`;
    // The $50 budget's forecast is already $69.75 (the running prod VM): any new prod VM overshoots.
    const refused = await as('acme', 'operator')(reserve, { op: 'op-1' });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BUDGET_EXCEEDED', budgetId, amount: '50.000000' });
    const elsewhere = await as('globex', 'operator')(reserve, { op: 'op-1' });
    expect(elsewhere.data?.reserveBudget).toMatchObject({ status: 'NOT_REQUIRED', budgetIds: [] });
    const badLabels = await as('acme', 'operator')(
      `mutation { reserveBudget(operationId: "op-2", spec: { provider: "aws", region: "us-east-1", instanceType: "m6i.large", image: "ubuntu-24.04", labels: { env: 3 } }) { status } }`,
    );
    expect(badLabels.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'spec.labels' });
    const release = await as('globex', 'operator')(`mutation { releaseBudgetReservation(operationId: "op-1") }`);
    expect(release.data?.releaseBudgetReservation).toBe(false);
  });

  it('updates and deletes a budget of its own tenant (admin), and refuses a malformed id with the field', async () => {
    const updated = await as('acme')(
      `mutation($id: ID!) { updateBudget(id: $id, input: { name: "prod-2", amount: "60.5", scope: { providers: ["aws"], regions: ["us-east-1"] }, thresholds: [{ percent: 80, basis: FORECAST }], action: ALERT }) { id name amount action scope { providers regions labels { key } } thresholds { percent basis } } }`,
      { id: budgetId },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateBudget).toEqual({
      id: budgetId,
      name: 'prod-2',
      amount: '60.500000',
      action: 'ALERT',
      scope: { providers: ['aws'], regions: ['us-east-1'], labels: [] },
      thresholds: [{ percent: 80, basis: 'FORECAST' }],
    });
    const malformed = await as('acme')(`mutation { deleteBudget(id: "not-a-uuid") }`);
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await as('acme')(`mutation($id: ID!) { deleteBudget(id: $id) }`, { id: budgetId })).data?.deleteBudget).toBe(true);
    expect((await as('acme')(`mutation($id: ID!) { deleteBudget(id: $id) }`, { id: budgetId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await as('acme', 'viewer')(`{ budgets { id } }`)).data?.budgets).toEqual([]);
  });
  it('sets a tenant’s webhook (admin only), shows its secret once, stores it encrypted and leaves other tenants’ webhooks alone', async () => {
    const set = `mutation($input: BudgetWebhookInput!) { setBudgetWebhook(input: $input) { url secret } }`;
    const operator = await as('globex', 'operator')(set, { input: { url: 'https://hooks.globex.example/budget' } });
    expect(operator.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await as('globex')(set, { input: { url: 'ftp://hooks.globex.example/budget' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    const short = await as('globex')(set, { input: { url: 'https://hooks.globex.example/budget', secret: 'short' } });
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.secret' });
    expect(await database.sql`select 1 from billing.budget_webhooks where tenant_id = 'globex'`).toHaveLength(0);

    const made = await as('globex')(set, { input: { url: 'https://hooks.globex.example/budget' } });
    expect(made.errors).toBeUndefined();
    const secret: string = made.data?.setBudgetWebhook.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect((await as('globex')(`{ budgetWebhook { url secret } }`)).data?.budgetWebhook).toEqual({ url: 'https://hooks.globex.example/budget', secret: null });
    const [row] = await database.sql`select * from billing.budget_webhooks where tenant_id = 'globex'`;
    expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length));
    expect((await as('acme')(`{ budgetWebhook { url } }`)).data?.budgetWebhook).toEqual({ url: 'http://127.0.0.1:1/hook' });
  });
});
