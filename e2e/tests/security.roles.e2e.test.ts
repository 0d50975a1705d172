import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOperationDocument,
  CreateVmDocument,
  DeleteVmDocument,
  OperationDocument,
  OperationsDocument,
  OperationUpdatedDocument,
  ProvidersDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  VMsDocument,
  VmDocument,
  VmEventsDocument,
  VmOperationsDocument,
  waitForOperation,
  type GraphQLResponse,
  type NovaCronClient,
} from '@novacron/sdk';
import type { Role } from '@novacron/auth';
import { injectFault } from '@novacron/providers';
import { waitFor } from '@novacron/testing';
import {
  AuditLogDocument,
  OperationAtDocument,
  OrphanInstancesDocument,
  ProviderCredentialsDocument,
  ReconcileProviderDocument,
  SetOrphanCleanupDocument,
  SetProviderCredentialsDocument,
  TenantSettingsDocument,
  UpdateTenantSettingsDocument,
  VmEventAtDocument,
  auditCount,
  auditEntriesBy,
  collect,
  createVmInput,
  databaseFingerprint,
  postGraphQL,
  readEventFeed,
  startPlatform,
  subscriptionsClient,
  waitForIdleOperations,
  type Platform,
} from '../src/index.ts';

// Every query and mutation, as each role. Viewers read (but not the audit log or credentials),
// operators also run the VM lifecycle, admins also read the audit log and manage credentials and
// settings. A refused mutation is aimed at a target where it would succeed, so a hole in the check
// would show as a write; an allowed one is aimed at an unknown id, so it passes authorization and
// gets the domain's own NOT_FOUND without changing anything.

let platform: Platform;
const unknownId = '00000000-0000-4000-8000-000000000000';
const targets = { runningVm: '', stoppedVm: '', finishedOperation: '', vmCursor: '', operationCursor: '' };

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '0' });
  const { client } = platform;
  const [running, stopped] = await Promise.all([
    client.request(CreateVmDocument, { input: createVmInput() }),
    client.request(CreateVmDocument, { input: createVmInput() }),
  ]);
  targets.runningVm = running.createVM.vm?.id ?? '';
  targets.stoppedVm = stopped.createVM.vm?.id ?? '';
  targets.finishedOperation = running.createVM.id;
  await waitForIdleOperations(platform.database.sql);
  await waitForOperation(client, (await client.request(StopVmDocument, { id: targets.stoppedVm })).stopVM.id, { intervalMs: 20 });
  targets.vmCursor = (await readEventFeed(platform, 'vm', targets.runningVm))[0]?.cursor ?? '';
  targets.operationCursor = (await readEventFeed(platform, 'operation', targets.finishedOperation)).at(-1)?.cursor ?? '';
});
afterAll(async () => {
  await platform?.stop();
});

let callers = 0;
async function caller(role: Role): Promise<{ subject: string; client: NovaCronClient }> {
  callers += 1;
  const subject = `${role}-${callers}@default`;
  return { subject, client: await platform.clientFor({ tenant: 'default', role, subject }) };
}

const roleRank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

interface QueryCase {
  field: string;
  minimum: Role;
  run: (client: NovaCronClient) => Promise<GraphQLResponse<Record<string, unknown>>>;
  /** Checks the data of an allowed read. */
  expectData: (data: Record<string, unknown>) => void;
}

const queries: QueryCase[] = [
  { field: 'vm', minimum: 'viewer', run: (c) => c.execute(VmDocument, { id: targets.runningVm }), expectData: (data) => expect(data).toMatchObject({ vm: { id: targets.runningVm } }) },
  { field: 'vms', minimum: 'viewer', run: (c) => c.execute(VMsDocument, {}), expectData: (data) => expect(data).toMatchObject({ vms: { totalCount: 2 } }) },
  { field: 'operation', minimum: 'viewer', run: (c) => c.execute(OperationDocument, { id: targets.finishedOperation }), expectData: (data) => expect(data).toMatchObject({ operation: { id: targets.finishedOperation } }) },
  { field: 'operations', minimum: 'viewer', run: (c) => c.execute(OperationsDocument, {}), expectData: (data) => expect(data).toMatchObject({ operations: { totalCount: 3 } }) },
  { field: 'VM.operations', minimum: 'viewer', run: (c) => c.execute(VmOperationsDocument, { id: targets.runningVm }), expectData: (data) => expect(data).toMatchObject({ vm: { operations: { totalCount: 1 } } }) },
  { field: 'providers', minimum: 'viewer', run: (c) => c.execute(ProvidersDocument, {}), expectData: (data) => expect(data.providers).toHaveLength(3) },
  { field: 'tenantSettings', minimum: 'viewer', run: (c) => c.execute(TenantSettingsDocument, {}), expectData: (data) => expect(data).toMatchObject({ tenantSettings: { tenantId: 'default' } }) },
  { field: 'vmEventAt', minimum: 'viewer', run: (c) => c.execute(VmEventAtDocument, { cursor: targets.vmCursor }), expectData: (data) => expect(data).toMatchObject({ vmEventAt: { vm: { id: targets.runningVm } } }) },
  { field: 'operationAt', minimum: 'viewer', run: (c) => c.execute(OperationAtDocument, { cursor: targets.operationCursor }), expectData: (data) => expect(data).toMatchObject({ operationAt: { id: targets.finishedOperation } }) },
  { field: 'auditLog', minimum: 'admin', run: (c) => c.execute(AuditLogDocument, {}), expectData: (data) => expect((data as { auditLog: { totalCount: number } }).auditLog.totalCount).toBeGreaterThan(0) },
  { field: 'providerCredentials', minimum: 'admin', run: (c) => c.execute(ProviderCredentialsDocument, {}), expectData: (data) => expect(data.providerCredentials).toHaveLength(3) },
  { field: 'orphanInstances', minimum: 'admin', run: (c) => c.execute(OrphanInstancesDocument, {}), expectData: (data) => expect(data.orphanInstances).toMatchObject({ totalCount: 0, edges: [] }) },
];

interface MutationCase {
  field: string;
  minimum: Role;
  /** Aimed where it would succeed: what a role without the right must be refused. */
  refused: (client: NovaCronClient) => Promise<GraphQLResponse<unknown>>;
  /** What a role with the right runs: passes authorization, then gets the domain's own answer. */
  allowed: (client: NovaCronClient) => Promise<GraphQLResponse<unknown>>;
  /** The code of that answer; undefined for a mutation that succeeds. */
  allowedCode: string | undefined;
}

const mutations: MutationCase[] = [
  {
    field: 'createVM',
    minimum: 'operator',
    refused: (c) => c.execute(CreateVmDocument, { input: createVmInput() }),
    allowed: (c) => c.execute(CreateVmDocument, { input: createVmInput({ region: 'nowhere-1' }) }),
    allowedCode: 'BAD_USER_INPUT',
  },
  { field: 'startVM', minimum: 'operator', refused: (c) => c.execute(StartVmDocument, { id: targets.stoppedVm }), allowed: (c) => c.execute(StartVmDocument, { id: unknownId }), allowedCode: 'NOT_FOUND' },
  { field: 'stopVM', minimum: 'operator', refused: (c) => c.execute(StopVmDocument, { id: targets.runningVm }), allowed: (c) => c.execute(StopVmDocument, { id: unknownId }), allowedCode: 'NOT_FOUND' },
  { field: 'rebootVM', minimum: 'operator', refused: (c) => c.execute(RebootVmDocument, { id: targets.runningVm }), allowed: (c) => c.execute(RebootVmDocument, { id: unknownId }), allowedCode: 'NOT_FOUND' },
  {
    field: 'resizeVM',
    minimum: 'operator',
    refused: (c) => c.execute(ResizeVmDocument, { id: targets.stoppedVm, instanceType: 't3.large' }),
    allowed: (c) => c.execute(ResizeVmDocument, { id: unknownId, instanceType: 't3.large' }),
    allowedCode: 'NOT_FOUND',
  },
  { field: 'deleteVM', minimum: 'operator', refused: (c) => c.execute(DeleteVmDocument, { id: targets.runningVm }), allowed: (c) => c.execute(DeleteVmDocument, { id: unknownId }), allowedCode: 'NOT_FOUND' },
  {
    field: 'cancelOperation',
    minimum: 'operator',
    // A finished operation: refused roles must get FORBIDDEN, not the CONFLICT that would tell them it exists.
    refused: (c) => c.execute(CancelOperationDocument, { id: targets.finishedOperation }),
    allowed: (c) => c.execute(CancelOperationDocument, { id: unknownId }),
    allowedCode: 'NOT_FOUND',
  },
  {
    field: 'setProviderCredentials',
    minimum: 'admin',
    refused: (c) => c.execute(SetProviderCredentialsDocument, { input: { provider: 'gcp', credentials: { serviceAccountKey: 'stolen' } } }),
    allowed: (c) => c.execute(SetProviderCredentialsDocument, { input: { provider: 'azure', credentials: { tenantId: 't', clientId: 'c', clientSecret: 'secret', subscriptionId: 's', resourceGroup: 'rg', subnetId: 'subnet' } } }),
    allowedCode: undefined,
  },
  {
    field: 'updateTenantSettings',
    minimum: 'admin',
    refused: (c) => c.execute(UpdateTenantSettingsDocument, { input: { displayName: 'Taken over' } }),
    allowed: (c) => c.execute(UpdateTenantSettingsDocument, { input: { displayName: 'Default Tenant', contactEmail: 'ops@default.example' } }),
    allowedCode: undefined,
  },
  {
    field: 'reconcileProvider',
    minimum: 'admin',
    refused: (c) => c.execute(ReconcileProviderDocument, { provider: 'aws' }),
    allowed: (c) => c.execute(ReconcileProviderDocument, { provider: 'aws' }),
    allowedCode: undefined,
  },
  {
    field: 'setOrphanCleanup',
    minimum: 'admin',
    refused: (c) => c.execute(SetOrphanCleanupDocument, { input: { enabled: true, graceMinutes: 0 } }),
    allowed: (c) => c.execute(SetOrphanCleanupDocument, { input: { enabled: false, graceMinutes: 60 } }),
    allowedCode: undefined,
  },
];

const roles: Role[] = ['viewer', 'operator', 'admin'];
const queryMatrix = roles.flatMap((role) => queries.map((query) => [role, query.field, query, roleRank[role] >= roleRank[query.minimum]] as const));
const mutationMatrix = roles.flatMap((role) => mutations.map((mutation) => [role, mutation.field, mutation, roleRank[role] >= roleRank[mutation.minimum]] as const));

describe('queries by role', () => {
  it.each(queryMatrix.filter(([, , , allowed]) => allowed))('%s may read %s', async (role, _field, query) => {
    const { client } = await caller(role);
    const response = await query.run(client);
    expect(response.errors).toBeUndefined();
    query.expectData(response.data ?? {});
  });

  it.each(queryMatrix.filter(([, , , allowed]) => !allowed))('%s may not read %s: FORBIDDEN, naming the role needed, and no data', async (role, _field, query) => {
    const { client } = await caller(role);
    const response = await query.run(client);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: query.minimum });
    expect(response.errors?.[0]?.message).toContain(query.minimum);
  });
});

describe('mutations by role', () => {
  it.each(mutationMatrix.filter(([, , , allowed]) => !allowed))('%s may not run %s: FORBIDDEN, nothing written, the attempt audited', async (role, field, mutation) => {
    const { subject, client } = await caller(role);
    const before = await databaseFingerprint(platform.database.sql);
    const response = await mutation.refused(client);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: mutation.minimum });
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditEntriesBy(platform.database.sql, subject)).toEqual([expect.objectContaining({ tenantId: 'default', action: field, outcome: 'FAILED', errorCode: 'FORBIDDEN' })]);
  });

  it.each(mutationMatrix.filter(([, , , allowed]) => allowed))('%s may run %s', async (role, field, mutation) => {
    const { subject, client } = await caller(role);
    const response = await mutation.allowed(client);
    if (mutation.allowedCode) {
      expect(response.errors?.[0]?.extensions?.code).toBe(mutation.allowedCode);
    } else {
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({ [field]: expect.any(Object) });
    }
    expect(await auditEntriesBy(platform.database.sql, subject)).toEqual([
      expect.objectContaining({ action: field, outcome: mutation.allowedCode ? 'FAILED' : 'SUCCEEDED', errorCode: mutation.allowedCode ?? null }),
    ]);
  });

  it('lets an operator drive a VM through its whole lifecycle and cancel an operation', async () => {
    const { client } = await caller('operator');
    const { createVM } = await client.request(CreateVmDocument, { input: createVmInput({ region: 'eu-west-1' }) });
    const vmId = createVM.vm?.id ?? '';
    const finish = async (operation: Promise<Record<string, { id: string }>>) => {
      const started = Object.values(await operation)[0];
      return (await waitForOperation(client, started?.id ?? '', { intervalMs: 20 })).status;
    };
    expect((await waitForOperation(client, createVM.id, { intervalMs: 20 })).status).toBe('SUCCEEDED');
    expect(await finish(client.request(RebootVmDocument, { id: vmId }))).toBe('SUCCEEDED');
    expect(await finish(client.request(StopVmDocument, { id: vmId }))).toBe('SUCCEEDED');
    expect(await finish(client.request(ResizeVmDocument, { id: vmId, instanceType: 't3.large' }))).toBe('SUCCEEDED');
    expect(await finish(client.request(StartVmDocument, { id: vmId }))).toBe('SUCCEEDED');
    // Throttling keeps the stop retrying, so the cancellation lands while it is unfinished.
    await injectFault(platform.database.sql, { provider: 'aws', action: 'stop', kind: 'transient', count: 3, region: 'eu-west-1' });
    const { stopVM } = await client.request(StopVmDocument, { id: vmId });
    const { cancelOperation } = await client.request(CancelOperationDocument, { id: stopVM.id });
    expect(cancelOperation.cancelRequested).toBe(true);
    await waitForOperation(client, stopVM.id, { intervalMs: 20 });
    expect(await finish(client.request(DeleteVmDocument, { id: vmId }))).toBe('SUCCEEDED');
    await waitForIdleOperations(platform.database.sql);
  });
});

describe('subscriptions by role', () => {
  it.each(roles)('%s may follow operationUpdated, which yields the final state and completes', async (role) => {
    const client = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'default', role }) });
    const updates = collect(client, OperationUpdatedDocument, { id: targets.finishedOperation });
    await updates.completed;
    expect(updates.results.map((result) => result.data?.operationUpdated.status)).toEqual(['SUCCEEDED']);
    await client.dispose();
  });

  it('lets a viewer follow vmEvents', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'default', role: 'viewer' }) });
    const before = platform.gateway.subscriptions.engine.stats().subscribers;
    const events = collect(client, VmEventsDocument, {});
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > before);
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.id === createVM.vm?.id));
    expect(events.results.every((result) => result.errors === undefined)).toBe(true);
    events.stop();
    await client.dispose();
    await waitForIdleOperations(platform.database.sql);
  });
});

describe('without a token', () => {
  it.each([
    ['a query', { query: '{ providers { name } }' }],
    ['a mutation', { query: 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }', variables: { input: createVmInput() } }],
    ['an admin query', { query: '{ auditLog { totalCount } }' }],
  ])('refuses %s with UNAUTHENTICATED (HTTP 401), writing and auditing nothing', async (_title, payload) => {
    const before = await databaseFingerprint(platform.database.sql);
    const audits = await auditCount(platform.database.sql);
    const response = await postGraphQL(platform.gateway.url, payload);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.body?.data ?? null).toBeNull();
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditCount(platform.database.sql)).toBe(audits);
  });

  it('keeps the internal event feed out of the public API, even for an admin', async () => {
    const response = await postGraphQL(platform.gateway.url, { query: '{ _eventFeed(stream: "vm") { endCursor } }' }, { token: platform.token });
    expect(response.body?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body?.data ?? null).toBeNull();
  });
});
