import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { internalTokenHeader } from '@novacron/auth';
import { auditableArgs } from '../src/domain/auditableArgs.ts';
import { inputDigest } from '../src/domain/inputDigest.ts';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

// createVM writes its success audit record in the enqueue's one statement; these pin what the log shows.
let database: TestDatabase;
let subgraph: RunningVmsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;

async function post(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', [internalTokenHeader]: token }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, { id: string; vm: { id: string } }> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

interface AuditRow {
  actor: string;
  outcome: string;
  error_code: string | null;
  target_id: string | null;
  operation_id: string | null;
  input_digest: string;
}

const auditOf = (tenantId: string) =>
  database.sql<AuditRow[]>`select actor, outcome, error_code, target_id, operation_id, input_digest from vms.audit_log where tenant_id = ${tenantId} and action = 'createVM' order by created_at, id`;

const createVm = 'mutation ($input: CreateVMInput!, $key: String) { createVM(input: $input, idempotencyKey: $key) { id vm { id } } }';
const input = () => ({ name: `audited-${randomBytes(4).toString('hex')}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' });
const tenant = () => `audit-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  subgraph = await start(testConfig(database.url, { security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: keys.keysDir } }), createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

describe('the audit record of createVM', () => {
  it('records one success naming the VM and the operation, with the digest of the arguments', async () => {
    const tenantId = tenant();
    const variables = { input: input(), key: null };
    const result = await post(await keys.forUser(tenantId, 'operator'), createVm, variables);
    expect(result.errors).toBeUndefined();
    const operation = result.data!.createVM!;
    expect(await auditOf(tenantId)).toEqual([
      {
        actor: `operator@${tenantId}`,
        outcome: 'SUCCEEDED',
        error_code: null,
        target_id: operation.vm.id,
        operation_id: operation.id,
        input_digest: inputDigest('createVM', auditableArgs({ input: variables.input, idempotencyKey: null })),
      },
    ]);
  });

  it('records a replayed idempotency key as a second success of the same operation, without a second operation', async () => {
    const tenantId = tenant();
    const token = await keys.forUser(tenantId, 'operator');
    const variables = { input: input(), key: `key-${randomBytes(4).toString('hex')}` };
    const first = await post(token, createVm, variables);
    const replay = await post(token, createVm, variables);
    expect(replay.errors).toBeUndefined();
    expect(replay.data!.createVM).toEqual(first.data!.createVM);
    const rows = await auditOf(tenantId);
    expect(rows.map((row) => [row.outcome, row.operation_id, row.target_id])).toEqual([
      ['SUCCEEDED', first.data!.createVM!.id, first.data!.createVM!.vm.id],
      ['SUCCEEDED', first.data!.createVM!.id, first.data!.createVM!.vm.id],
    ]);
    const [count] = await database.sql<{ n: number }[]>`select count(*)::int as n from vms.operations where tenant_id = ${tenantId}`;
    expect(count?.n).toBe(1);
  });

  it('records a refused request as a failure with its code, and writes nothing else', async () => {
    const tenantId = tenant();
    const result = await post(await keys.forUser(tenantId, 'operator'), createVm, { input: { ...input(), instanceType: 'no-such-type' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.instanceType' });
    expect((await auditOf(tenantId)).map((row) => [row.outcome, row.error_code, row.operation_id])).toEqual([['FAILED', 'BAD_USER_INPUT', null]]);
    const [count] = await database.sql<{ n: number }[]>`select (select count(*) from vms.operations where tenant_id = ${tenantId}) + (select count(*) from vms.vms where tenant_id = ${tenantId})::int as n`;
    expect(Number(count?.n)).toBe(0);
  });

  it('records a caller without the operator role as a FORBIDDEN failure', async () => {
    const tenantId = tenant();
    const result = await post(await keys.forUser(tenantId, 'viewer'), createVm, { input: input() });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await auditOf(tenantId)).map((row) => [row.outcome, row.error_code])).toEqual([['FAILED', 'FORBIDDEN']]);
  });
});
