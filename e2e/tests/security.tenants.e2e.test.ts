import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOperationDocument,
  CreateVmDocument,
  DeleteVmDocument,
  OperationDocument,
  OperationsDocument,
  OperationUpdatedDocument,
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
import { waitFor } from '@novacron/testing';
import {
  AuditLogDocument,
  OperationAtDocument,
  ProviderCredentialsDocument,
  SetProviderCredentialsDocument,
  TenantSettingsDocument,
  UpdateTenantSettingsDocument,
  VmEventAtDocument,
  auditEntriesBy,
  collect,
  createVmInput,
  databaseFingerprint,
  internalTokenFor,
  openRawGraphQLSocket,
  postToSubgraph,
  readEventFeed,
  startPlatform,
  subscriptionsClient,
  waitForIdleOperations,
  type Platform,
} from '../src/index.ts';

// Two tenants on one platform. Tenant bravo owns VMs in every state a mutation could act on, a
// queued operation, credentials and settings; tenant alpha (an admin, so only the tenant boundary
// stands in the way) tries to read and change them through every query, mutation, subscription and
// entity path. Denied reads look exactly like unknown ids; denied writes change nothing.

let platform: Platform;
let alpha: NovaCronClient;
let bravo: NovaCronClient;

const bravoKey = 'bravo-create-key';
/** Azure credentials the driver's parser accepts (never used against Azure: the tenants' VMs run on aws). */
const azureCredentials = (tenant: string) => ({ tenantId: `${tenant}-entra`, clientId: `${tenant}-client`, clientSecret: `${tenant}-secret`, subscriptionId: `${tenant}-subscription`, resourceGroup: 'rg', subnetId: 'subnet' });
const unknownId = '00000000-0000-4000-8000-000000000000';
const bravoThings = {
  runningVm: '',
  stoppedVm: '',
  queuedVm: '',
  finishedOperation: '',
  queuedOperation: '',
  vmCursor: '',
  operationCursor: '',
};
let alphaVm = '';
let alphaOperation = '';

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '0' });
  alpha = await platform.clientFor({ tenant: 'alpha', role: 'admin' });
  bravo = await platform.clientFor({ tenant: 'bravo', role: 'admin' });
  const secret = { team: 'bravo-secret' };
  const [running, stopped, queued, own] = await Promise.all([
    bravo.request(CreateVmDocument, { input: createVmInput({ name: 'bravo-secret-running', labels: secret }), idempotencyKey: bravoKey }),
    bravo.request(CreateVmDocument, { input: createVmInput({ name: 'bravo-secret-stopped', labels: secret }) }),
    bravo.request(CreateVmDocument, { input: createVmInput({ name: 'bravo-secret-queued', labels: secret }) }),
    alpha.request(CreateVmDocument, { input: createVmInput({ name: 'alpha-own' }) }),
  ]);
  bravoThings.runningVm = running.createVM.vm?.id ?? '';
  bravoThings.stoppedVm = stopped.createVM.vm?.id ?? '';
  bravoThings.queuedVm = queued.createVM.vm?.id ?? '';
  bravoThings.finishedOperation = running.createVM.id;
  alphaVm = own.createVM.vm?.id ?? '';
  alphaOperation = own.createVM.id;
  await waitForIdleOperations(platform.database.sql);
  await waitForOperation(bravo, (await bravo.request(StopVmDocument, { id: bravoThings.stoppedVm })).stopVM.id, { intervalMs: 20 });
  // azure, not the VMs' aws: a tenant with stored credentials gets the real driver for that provider.
  await bravo.request(SetProviderCredentialsDocument, { input: { provider: 'azure', credentials: azureCredentials('bravo') } });
  await bravo.request(UpdateTenantSettingsDocument, { input: { displayName: 'Bravo Corp', contactEmail: 'ops@bravo.example' } });
  // With no worker left, a new operation stays QUEUED (cancellable) and the database holds still
  // between a fingerprint and the next.
  await platform.workers[0]?.stop();
  bravoThings.queuedOperation = (await bravo.request(StopVmDocument, { id: bravoThings.queuedVm })).stopVM.id;
  bravoThings.vmCursor = (await readEventFeed(platform, 'vm', bravoThings.runningVm))[0]?.cursor ?? '';
  bravoThings.operationCursor = (await readEventFeed(platform, 'operation', bravoThings.finishedOperation)).at(-1)?.cursor ?? '';
  expect(bravoThings.vmCursor).not.toBe('');
  expect(bravoThings.operationCursor).not.toBe('');
});
afterAll(async () => {
  await platform?.stop();
});

/** A fresh admin of tenant alpha with its own subject, so its audit records are its alone. */
let intruders = 0;
async function intruder(): Promise<{ subject: string; client: NovaCronClient }> {
  intruders += 1;
  const subject = `intruder-${intruders}@alpha`;
  return { subject, client: await platform.clientFor({ tenant: 'alpha', role: 'admin', subject }) };
}

const bravoVmIds = () => [bravoThings.runningVm, bravoThings.stoppedVm, bravoThings.queuedVm];
const bravoOperationIds = () => [bravoThings.finishedOperation, bravoThings.queuedOperation];

describe('reads of another tenant', () => {
  it('answers vm(id) with null for each of its VMs, in any letter case, exactly as for an unknown id', async () => {
    for (const id of [...bravoVmIds(), bravoThings.runningVm.toUpperCase()]) {
      const response = await alpha.execute(VmDocument, { id });
      expect(response).toMatchObject({ data: { vm: null } });
      expect(response.errors).toBeUndefined();
      expect((await bravo.request(VmDocument, { id })).vm?.id).toBe(id.toLowerCase());
    }
    expect(await alpha.execute(VmDocument, { id: unknownId })).toMatchObject({ data: { vm: null } });
  });

  it('answers operation(id) with null for its finished and its queued operation', async () => {
    for (const id of bravoOperationIds()) {
      const response = await alpha.execute(OperationDocument, { id });
      expect(response).toMatchObject({ data: { operation: null } });
      expect(response.errors).toBeUndefined();
      expect((await bravo.request(OperationDocument, { id })).operation?.id).toBe(id);
    }
  });

  it('never lists its VMs, whatever the filter, even ones that match by name or label', async () => {
    const filters = [{}, { includeDeleted: true }, { nameContains: 'bravo-secret' }, { labels: [{ key: 'team', value: 'bravo-secret' }] }, { labels: [{ key: 'team' }] }];
    for (const filter of filters) {
      const { vms } = await alpha.request(VMsDocument, { filter, first: 500 });
      const ids = vms.edges.map((edge) => edge.node.id);
      expect(ids.filter((id) => bravoVmIds().includes(id))).toEqual([]);
      expect(vms.totalCount).toBe(ids.length);
    }
    const { vms: own } = await alpha.request(VMsDocument, { first: 500 });
    expect(own.edges.map((edge) => edge.node.id)).toContain(alphaVm);
    const { vms: theirs } = await bravo.request(VMsDocument, { filter: { nameContains: 'bravo-secret' }, first: 500 });
    expect(theirs.totalCount).toBe(3);
  });

  it('never lists its operations, not even filtered by one of its VM ids, nor under a VM', async () => {
    const { operations } = await alpha.request(OperationsDocument, { first: 500 });
    const ids = operations.edges.map((edge) => edge.node.id);
    expect(ids).toContain(alphaOperation);
    expect(ids.filter((id) => bravoOperationIds().includes(id))).toEqual([]);
    for (const vmId of bravoVmIds()) {
      const { operations: byVm } = await alpha.request(OperationsDocument, { filter: { vmId }, first: 500 });
      expect(byVm).toMatchObject({ totalCount: 0, edges: [] });
      expect((await alpha.request(VmOperationsDocument, { id: vmId })).vm).toBeNull();
    }
    const { operations: theirs } = await bravo.request(OperationsDocument, { filter: { vmId: bravoThings.runningVm }, first: 500 });
    expect(theirs.totalCount).toBeGreaterThan(0);
  });

  it('never shows its audit records, not even filtered by one of its actors', async () => {
    const { auditLog } = await alpha.request(AuditLogDocument, { first: 500 });
    expect(auditLog.edges.length).toBeGreaterThan(0);
    expect(new Set(auditLog.edges.map((edge) => edge.node.tenantId))).toEqual(new Set(['alpha']));
    expect((await alpha.request(AuditLogDocument, { filter: { actor: 'admin@bravo' } })).auditLog).toMatchObject({ totalCount: 0, edges: [] });
    expect((await bravo.request(AuditLogDocument, { filter: { actor: 'admin@bravo' } })).auditLog.totalCount).toBeGreaterThan(0);
  });

  it("shows its own provider credentials and settings, never the other tenant's", async () => {
    const { providerCredentials } = await alpha.request(ProviderCredentialsDocument, {});
    expect(providerCredentials.find((status) => status.provider === 'azure')).toMatchObject({ configured: false, updatedBy: null });
    expect((await bravo.request(ProviderCredentialsDocument, {})).providerCredentials.find((status) => status.provider === 'azure')).toMatchObject({ configured: true, updatedBy: 'admin@bravo' });
    expect((await alpha.request(TenantSettingsDocument, {})).tenantSettings).toEqual({ tenantId: 'alpha', displayName: 'alpha', contactEmail: null });
  });

  it("answers vmEventAt and operationAt with null for the other tenant's event cursors", async () => {
    expect(await alpha.execute(VmEventAtDocument, { cursor: bravoThings.vmCursor })).toMatchObject({ data: { vmEventAt: null } });
    expect(await alpha.execute(OperationAtDocument, { cursor: bravoThings.operationCursor })).toMatchObject({ data: { operationAt: null } });
    expect((await bravo.request(VmEventAtDocument, { cursor: bravoThings.vmCursor })).vmEventAt?.vm.id).toBe(bravoThings.runningVm);
    expect((await bravo.request(OperationAtDocument, { cursor: bravoThings.operationCursor })).operationAt?.id).toBe(bravoThings.finishedOperation);
  });

  it("resolves no entity of the other tenant at the subgraph, even with a valid internal token", async () => {
    const query = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on VM { id name } ... on Operation { id kind } } }';
    const representations = [
      { __typename: 'VM', id: bravoThings.runningVm },
      { __typename: 'Operation', id: bravoThings.finishedOperation },
      { __typename: 'VM', id: bravoThings.stoppedVm.toUpperCase() },
      { __typename: 'VM', id: alphaVm },
    ];
    const asAlpha = await postToSubgraph(platform.vms.url, { query, variables: { representations } }, await internalTokenFor(platform.keys, { tenant: 'alpha', role: 'admin' }));
    expect(asAlpha.body?.errors).toBeUndefined();
    expect(asAlpha.body?.data?._entities).toEqual([null, null, null, { id: alphaVm, name: 'alpha-own' }]);
    const asBravo = await postToSubgraph(platform.vms.url, { query, variables: { representations: representations.slice(0, 2) } }, await internalTokenFor(platform.keys, { tenant: 'bravo', role: 'viewer' }));
    expect(asBravo.body?.data?._entities).toEqual([
      { id: bravoThings.runningVm, name: 'bravo-secret-running' },
      { id: bravoThings.finishedOperation, kind: 'CREATE' },
    ]);
  });

  it("does not serve the other tenant's VM over the WebSocket either", async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${await platform.tokenFor({ tenant: 'alpha', role: 'admin' })}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send({ id: 'q', type: 'subscribe', payload: { query: 'query ($id: ID!) { vm(id: $id) { id name } }', variables: { id: bravoThings.runningVm } } });
    const next = await raw.waitForMessage((message) => message.type === 'next' && message.id === 'q');
    expect(next.payload).toEqual({ data: { vm: null } });
    raw.socket.close();
  });
});

type ForeignWrite = [title: string, action: string, run: (client: NovaCronClient, id: string) => Promise<GraphQLResponse<unknown>>, target: () => string];

const foreignWrites: ForeignWrite[] = [
  ['startVM on its stopped VM', 'startVM', (client, id) => client.execute(StartVmDocument, { id }), () => bravoThings.stoppedVm],
  ['stopVM on its running VM', 'stopVM', (client, id) => client.execute(StopVmDocument, { id }), () => bravoThings.runningVm],
  ['rebootVM on its running VM', 'rebootVM', (client, id) => client.execute(RebootVmDocument, { id }), () => bravoThings.runningVm],
  ['resizeVM on its stopped VM', 'resizeVM', (client, id) => client.execute(ResizeVmDocument, { id, instanceType: 't3.large' }), () => bravoThings.stoppedVm],
  ['deleteVM on its running VM', 'deleteVM', (client, id) => client.execute(DeleteVmDocument, { id }), () => bravoThings.runningVm],
  ['deleteVM on its stopped VM, with an idempotency key', 'deleteVM', (client, id) => client.execute(DeleteVmDocument, { id, idempotencyKey: 'alpha-delete' }), () => bravoThings.stoppedVm],
  ['cancelOperation on its queued operation', 'cancelOperation', (client, id) => client.execute(CancelOperationDocument, { id }), () => bravoThings.queuedOperation],
  ['cancelOperation on its finished operation', 'cancelOperation', (client, id) => client.execute(CancelOperationDocument, { id }), () => bravoThings.finishedOperation],
];

describe('writes on another tenant', () => {
  it.each(foreignWrites)('answers %s with NOT_FOUND as for an unknown id, writes nothing, and audits the attempt', async (_title, action, run, target) => {
    const { subject, client } = await intruder();
    const before = await databaseFingerprint(platform.database.sql);
    const response = await run(client, target());
    expect(response.data ?? null).toBeNull();
    const [error] = response.errors ?? [];
    expect(error?.extensions?.code).toBe('NOT_FOUND');
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditEntriesBy(platform.database.sql, subject)).toEqual([
      expect.objectContaining({ tenantId: 'alpha', actor: subject, action, outcome: 'FAILED', errorCode: 'NOT_FOUND', operationId: null }),
    ]);
    // Indistinguishable from an id that exists nowhere: same code, message, path and details.
    const unknown = await run(client, unknownId);
    expect(JSON.stringify(unknown.errors).replaceAll(unknownId, '<id>')).toBe(JSON.stringify(response.errors).replaceAll(target(), '<id>'));
  });

  it("refuses a mutation on the other tenant's VM sent over the WebSocket, and writes nothing", async () => {
    const subject = 'socket-intruder@alpha';
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${await platform.tokenFor({ tenant: 'alpha', role: 'admin', subject })}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    const before = await databaseFingerprint(platform.database.sql);
    raw.send({ id: 'm', type: 'subscribe', payload: { query: 'mutation ($id: ID!) { deleteVM(id: $id) { id } }', variables: { id: bravoThings.runningVm } } });
    const next = await raw.waitForMessage((message) => message.type === 'next' && message.id === 'm');
    expect((next.payload as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditEntriesBy(platform.database.sql, subject)).toEqual([expect.objectContaining({ tenantId: 'alpha', action: 'deleteVM', outcome: 'FAILED', errorCode: 'NOT_FOUND' })]);
    raw.socket.close();
  });

  it("treats the other tenant's idempotency key as a new key: a new operation of its own, the other's untouched", async () => {
    const { createVM } = await alpha.request(CreateVmDocument, { input: createVmInput({ name: 'alpha-same-key' }), idempotencyKey: bravoKey });
    expect(createVM.id).not.toBe(bravoThings.finishedOperation);
    expect(createVM.vm?.name).toBe('alpha-same-key');
    expect((await alpha.request(OperationDocument, { id: createVM.id })).operation?.id).toBe(createVM.id);
    expect((await bravo.request(OperationDocument, { id: createVM.id })).operation).toBeNull();
    expect((await bravo.request(OperationDocument, { id: bravoThings.finishedOperation })).operation).toMatchObject({ status: 'SUCCEEDED', idempotencyKey: bravoKey, vm: { name: 'bravo-secret-running' } });
  });

  it("changes only its own tenant's settings and credentials", async () => {
    await alpha.request(UpdateTenantSettingsDocument, { input: { displayName: 'Alpha Inc', contactEmail: 'ops@alpha.example' } });
    await alpha.request(SetProviderCredentialsDocument, { input: { provider: 'azure', credentials: azureCredentials('alpha') } });
    expect((await alpha.request(TenantSettingsDocument, {})).tenantSettings).toMatchObject({ tenantId: 'alpha', displayName: 'Alpha Inc' });
    expect((await bravo.request(TenantSettingsDocument, {})).tenantSettings).toEqual({ tenantId: 'bravo', displayName: 'Bravo Corp', contactEmail: 'ops@bravo.example' });
    expect((await bravo.request(ProviderCredentialsDocument, {})).providerCredentials.find((status) => status.provider === 'azure')).toMatchObject({ configured: true, updatedBy: 'admin@bravo' });
  });
});

describe('subscriptions across tenants', () => {
  beforeAll(async () => {
    // Events need a worker again: the queued operations now run.
    await platform.addWorker();
    await waitForIdleOperations(platform.database.sql);
  });

  it("answers operationUpdated on the other tenant's operations with NOT_FOUND, as for an unknown one", async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'alpha', role: 'admin' }) });
    const answers: string[] = [];
    for (const id of [unknownId, ...bravoOperationIds()]) {
      const updates = collect(client, OperationUpdatedDocument, { id });
      const errors = (await updates.error) as { message: string; extensions?: { code?: string } }[];
      expect(errors[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(updates.results).toEqual([]);
      answers.push(JSON.stringify(errors).replaceAll(id, '<id>'));
    }
    expect(new Set(answers).size).toBe(1);
    await client.dispose();
  });

  it("never delivers the other tenant's VM events: unfiltered, filtered by its VM's id, or resumed from its cursor", async () => {
    const alphaClient = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'alpha', role: 'admin' }) });
    const bravoClient = subscriptionsClient(platform.gateway.url, { token: await platform.tokenFor({ tenant: 'bravo', role: 'viewer' }) });
    const subscribersBefore = platform.gateway.subscriptions.engine.stats().subscribers;
    const unfiltered = collect(alphaClient, VmEventsDocument, {});
    const byForeignId = collect(alphaClient, VmEventsDocument, { filter: { ids: [bravoThings.runningVm, alphaVm] } });
    const resumed = collect(alphaClient, VmEventsDocument, { after: bravoThings.vmCursor });
    const control = collect(bravoClient, VmEventsDocument, { filter: { ids: [bravoThings.runningVm] } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers >= subscribersBefore + 4);

    // Bravo's VM changes, and bravo sees it...
    await waitForOperation(bravo, (await bravo.request(StopVmDocument, { id: bravoThings.runningVm })).stopVM.id, { intervalMs: 20 });
    await control.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.status === 'STOPPED'));
    // ...then alpha's VM changes: events reach a subscriber in stream order, so once alpha's later
    // change has arrived, any bravo event that was going to leak would have arrived before it.
    await waitForOperation(alpha, (await alpha.request(StopVmDocument, { id: alphaVm })).stopVM.id, { intervalMs: 20 });
    const sawAlphaStopped = (results: typeof unfiltered.results) => results.some((result) => result.data?.vmEvents.vm.id === alphaVm && result.data.vmEvents.vm.status === 'STOPPED');
    await Promise.all([unfiltered.waitFor(sawAlphaStopped), byForeignId.waitFor(sawAlphaStopped), resumed.waitFor(sawAlphaStopped)]);

    const { vms } = await alpha.request(VMsDocument, { filter: { includeDeleted: true }, first: 500 });
    const alphaIds = new Set(vms.edges.map((edge) => edge.node.id));
    for (const subscription of [unfiltered, byForeignId, resumed]) {
      const delivered = subscription.results.map((result) => result.data?.vmEvents.vm.id);
      expect(delivered.filter((id) => !alphaIds.has(id ?? ''))).toEqual([]);
      expect(subscription.results.every((result) => result.errors === undefined)).toBe(true);
    }
    expect(new Set(byForeignId.results.map((result) => result.data?.vmEvents.vm.id))).toEqual(new Set([alphaVm]));
    expect(control.results.every((result) => result.data?.vmEvents.vm.id === bravoThings.runningVm)).toBe(true);
    for (const subscription of [unfiltered, byForeignId, resumed, control]) subscription.stop();
    await alphaClient.dispose();
    await bravoClient.dispose();
  });
});
