import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOperationDocument,
  CreateVmDocument,
  DeleteVmDocument,
  OperationDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  VMsDocument,
  VmDocument,
  waitForOperation,
  type NovaCronClient,
} from '@novacron/sdk';
import { countRows, createVmInput, startPlatform, type Platform } from '../src/index.ts';

let platform: Platform;
let runningVm: string;
let stoppedVm: string;
let deletedVm: string;
let finishedOperation: string;

async function createAndWait(client: NovaCronClient): Promise<{ vmId: string; operationId: string }> {
  const { createVM } = await client.request(CreateVmDocument, { input: createVmInput() });
  await waitForOperation(client, createVM.id, { intervalMs: 50 });
  return { vmId: createVM.vm?.id ?? '', operationId: createVM.id };
}

beforeAll(async () => {
  platform = await startPlatform();
  const { client } = platform;
  const running = await createAndWait(client);
  runningVm = running.vmId;
  finishedOperation = running.operationId;
  stoppedVm = (await createAndWait(client)).vmId;
  await waitForOperation(client, (await client.request(StopVmDocument, { id: stoppedVm })).stopVM.id, { intervalMs: 50 });
  deletedVm = (await createAndWait(client)).vmId;
  await waitForOperation(client, (await client.request(DeleteVmDocument, { id: deletedVm })).deleteVM.id, { intervalMs: 50 });
});
afterAll(async () => {
  await platform?.stop();
});

const unknownId = '00000000-0000-4000-8000-000000000000';

type Case = [title: string, run: () => Promise<unknown>, code: string, field?: string];

const cases: Case[] = [
  ['an empty name', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ name: '' }) }), 'BAD_USER_INPUT', 'input.name'],
  ['a name over 63 characters', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ name: `a${'b'.repeat(63)}` }) }), 'BAD_USER_INPUT', 'input.name'],
  ['a name with upper case and spaces', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ name: 'My VM' }) }), 'BAD_USER_INPUT', 'input.name'],
  ['an unknown provider', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ provider: 'digitalocean' }) }), 'BAD_USER_INPUT', 'input.provider'],
  ['an unknown region', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ region: 'mars-north-1' }) }), 'BAD_USER_INPUT', 'input.region'],
  ['an unknown instance type', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ instanceType: 't9.enormous' }) }), 'BAD_USER_INPUT', 'input.instanceType'],
  [
    'an instance type the region does not offer',
    () => platform.client.execute(CreateVmDocument, { input: createVmInput({ region: 'af-south-1', instanceType: 'p4d.24xlarge' }) }),
    'BAD_USER_INPUT',
    'input.instanceType',
  ],
  ['an unknown image', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ image: 'templeos' }) }), 'BAD_USER_INPUT', 'input.image'],
  ['a label with a non-string value', () => platform.client.execute(CreateVmDocument, { input: createVmInput({ labels: { team: 7 } as never }) }), 'BAD_USER_INPUT', 'input.labels.team'],
  ['an oversized idempotency key', () => platform.client.execute(CreateVmDocument, { input: createVmInput(), idempotencyKey: 'k'.repeat(256) }), 'BAD_USER_INPUT', 'idempotencyKey'],
  ['a malformed VM id', () => platform.client.execute(StopVmDocument, { id: 'not-an-id' }), 'BAD_USER_INPUT', 'id'],
  ['a malformed id in a query', () => platform.client.execute(VmDocument, { id: "1' or '1'='1" }), 'BAD_USER_INPUT', 'id'],
  ['an unknown VM id', () => platform.client.execute(StartVmDocument, { id: unknownId }), 'NOT_FOUND'],
  ['stopping a stopped VM', () => platform.client.execute(StopVmDocument, { id: stoppedVm }), 'CONFLICT'],
  ['starting a running VM', () => platform.client.execute(StartVmDocument, { id: runningVm }), 'CONFLICT'],
  ['rebooting a stopped VM', () => platform.client.execute(RebootVmDocument, { id: stoppedVm }), 'CONFLICT'],
  ['resizing a running VM where the provider needs it stopped', () => platform.client.execute(ResizeVmDocument, { id: runningVm, instanceType: 't3.large' }), 'CONFLICT'],
  ['resizing to an unknown instance type', () => platform.client.execute(ResizeVmDocument, { id: stoppedVm, instanceType: 'x1.nope' }), 'BAD_USER_INPUT', 'instanceType'],
  ['resizing to the current instance type', () => platform.client.execute(ResizeVmDocument, { id: stoppedVm, instanceType: 't3.micro' }), 'BAD_USER_INPUT', 'instanceType'],
  ['starting a deleted VM', () => platform.client.execute(StartVmDocument, { id: deletedVm }), 'CONFLICT'],
  ['deleting a deleted VM', () => platform.client.execute(DeleteVmDocument, { id: deletedVm }), 'CONFLICT'],
  ['cancelling a finished operation', () => platform.client.execute(CancelOperationDocument, { id: finishedOperation }), 'CONFLICT'],
  ['cancelling an unknown operation', () => platform.client.execute(CancelOperationDocument, { id: unknownId }), 'NOT_FOUND'],
  ['a page size of 0', () => platform.client.execute(VMsDocument, { first: 0 }), 'BAD_USER_INPUT', 'first'],
  ['a page size over 500', () => platform.client.execute(VMsDocument, { first: 501 }), 'BAD_USER_INPUT', 'first'],
  ['a malformed cursor', () => platform.client.execute(VMsDocument, { after: 'garbage' }), 'BAD_USER_INPUT', 'after'],
  ['a wrongly typed variable', () => platform.client.execute(VmDocument, { id: 42 as never }), 'BAD_USER_INPUT'],
];

describe('bad input', () => {
  it.each(cases)('rejects %s with its code and writes nothing', async (_title, run, code, field) => {
    const before = await countRows(platform.database.sql);
    const response = (await run()) as { errors?: { extensions?: Record<string, unknown>; message: string }[] };
    expect(response.errors?.[0]?.extensions?.code).toBe(code);
    if (field) expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(response.errors?.[0]?.message.length).toBeGreaterThan(0);
    expect(await countRows(platform.database.sql)).toEqual(before);
  });

  it('answers null, not an error, for an unknown but well-formed id', async () => {
    const { vm } = await platform.client.request(VmDocument, { id: unknownId });
    expect(vm).toBeNull();
    const { operation } = await platform.client.request(OperationDocument, { id: unknownId });
    expect(operation).toBeNull();
  });
});
