import fc, { type IAsyncProperty } from 'fast-check';
import { print, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelOperationDocument,
  CreateVmDocument,
  DeleteVmDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  waitForOperation,
} from '@novacron/sdk';
import {
  openRawGraphQLSocket,
  SetProviderCredentialsDocument,
  UpdateTenantSettingsDocument,
  createVmInput,
  databaseFingerprint,
  postGraphQL,
  startPlatform,
  waitForIdleOperations,
  type Platform,
} from '../src/index.ts';

// Property-based fuzzing of every mutation's variables through the gateway: wrong types, unicode
// (NUL and lone surrogates included), strings up to ~100 KB, nulls, extreme numbers, random ids and
// random objects. Whatever arrives, the answer is a client error or a success: never
// INTERNAL_SERVER_ERROR, never HTTP 5xx, no process dies, and a request answered with an error wrote
// nothing (the audit log aside, which records failed attempts by design). Raw documents and raw
// graphql-ws frames are fuzzed the same way.
//
// CI runs a short, fixed-seed pass (FUZZ_RUNS=50). The long run (`npm run fuzz`: 1,000 cases per
// property, FUZZ_SEED=random) prints its seed; a failure names the seed and run count to replay it.

const numRuns = Number(process.env.FUZZ_RUNS ?? 50);
const seed = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20_260_520);
/** Per property: a generous bound for the long run, never an assertion on speed. */
const propertyTimeoutMs = Math.max(180_000, numRuns * 3_000);
console.info(`fuzzing with FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`);

/** fc.assert with this run's seed, naming it on failure so the run can be replayed. */
async function check<T>(property: IAsyncProperty<T>): Promise<void> {
  try {
    await fc.assert(property, { seed, numRuns });
  } catch (error) {
    throw new Error(`fuzzing failed; replay with FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`, { cause: error });
  }
}
/** Keeps every request under the gateway's 1 MB body limit, so each one reaches GraphQL. */
const maxBodyBytes = 950_000;

let platform: Platform;
const real = { vms: [] as string[], operations: [] as string[] };

beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '0' });
  const created = await Promise.all(Array.from({ length: 4 }, () => platform.client.request(CreateVmDocument, { input: createVmInput() })));
  real.vms = created.map(({ createVM }) => createVM.vm?.id ?? '');
  real.operations = created.map(({ createVM }) => createVM.id);
  await waitForIdleOperations(platform.database.sql);
  // One of the VMs stopped, so start and resize have something to act on too.
  await waitForOperation(platform.client, (await platform.client.request(StopVmDocument, { id: real.vms[0] ?? '' })).stopVM.id, { intervalMs: 20 });
});
afterAll(async () => {
  await platform?.stop();
});

/** Cuts a string until its JSON encoding fits in `maxBytes`. */
function fitJson(text: string, maxBytes: number): string {
  let fitted = text;
  while (Buffer.byteLength(JSON.stringify(fitted)) > maxBytes) fitted = fitted.slice(0, Math.floor(fitted.length * 0.8));
  return fitted;
}

/** Strings from a few characters of any code point repeated up to ~100 KB of JSON. */
const hugeString = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([unit, length]) => fitJson(unit.repeat(Math.ceil(length / unit.length)).slice(0, length), 100_000));

const trickyStrings = fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '\u202e', '🚀', 'null', 'undefined', '__proto__', 'constructor', "' or '1'='1", '%', '_', '\\', '$1', '{}', '[]', '../../etc/passwd', '<script>');
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: trickyStrings },
  { weight: 1, arbitrary: hugeString },
);
const extremeNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER),
);
/** Any JSON value: a wrong type wherever it lands. */
const anything = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: extremeNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);
/** Characters that storage and parsers trip over, spliced into otherwise valid strings. */
const poison = fc.constantFrom('\u0000', '\ud800', '\udc00', '\u202e', '\ufeff', '\n', '\\', "'", '"', '%', '🚀');
/** A valid string with a poison character spliced in somewhere. */
const corrupted = (valid: fc.Arbitrary<string>) =>
  fc.tuple(valid, poison, fc.nat()).map(([value, character, at]) => {
    const position = at % (value.length + 1);
    return `${value.slice(0, position)}${character}${value.slice(position)}`;
  });
/** Mostly a valid value, so most requests get past type coercion and reach the resolvers; otherwise anything at all. */
const plausibly = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 2, arbitrary: anything });
/** The same for a string, which may also arrive with a poison character spliced in. */
const plausibleString = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 2, arbitrary: corrupted(valid) }, { weight: 2, arbitrary: anything });

const id = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom(...real.vms, ...real.operations) },
    { weight: 1, arbitrary: fc.constantFrom(...real.vms, ...real.operations).map((value) => value.toUpperCase()) },
    { weight: 3, arbitrary: anything },
  );
const idempotencyKey = plausibleString(fc.string({ minLength: 1, maxLength: 40 }));
const labelKey = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/);
const labels = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(plausibleString(labelKey).map(String), plausibleString(fc.string({ maxLength: 40 })), { maxKeys: 8 }) },
  { weight: 1, arbitrary: anything },
);

const createVmVariables = fc.record(
  {
    input: plausibly(
      fc.record(
        {
          name: plausibleString(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)),
          provider: plausibleString(fc.constantFrom('aws', 'azure', 'gcp')),
          region: plausibleString(fc.constantFrom('us-east-1', 'eu-west-1', 'westeurope', 'europe-west1')),
          instanceType: plausibleString(fc.constantFrom('t3.micro', 't3.large', 'Standard_B1s', 'e2-small')),
          image: plausibleString(fc.constantFrom('ubuntu-24.04', 'debian-12')),
          labels,
        },
        { requiredKeys: [] },
      ),
    ),
    idempotencyKey,
  },
  { requiredKeys: [] },
);
const onVmVariables = () => fc.record({ id: id(), idempotencyKey }, { requiredKeys: [] });

interface FuzzedMutation {
  name: string;
  document: DocumentNode;
  variables: () => fc.Arbitrary<Record<string, unknown>>;
}

const fuzzedMutations: FuzzedMutation[] = [
  { name: 'createVM', document: CreateVmDocument, variables: () => createVmVariables },
  { name: 'startVM', document: StartVmDocument, variables: onVmVariables },
  { name: 'stopVM', document: StopVmDocument, variables: onVmVariables },
  { name: 'rebootVM', document: RebootVmDocument, variables: onVmVariables },
  {
    name: 'resizeVM',
    document: ResizeVmDocument,
    variables: () => fc.record({ id: id(), instanceType: plausibleString(fc.constantFrom('t3.large', 't3.micro', 't3.2xlarge', 'p4d.24xlarge')), idempotencyKey }, { requiredKeys: [] }),
  },
  { name: 'deleteVM', document: DeleteVmDocument, variables: onVmVariables },
  { name: 'cancelOperation', document: CancelOperationDocument, variables: () => fc.record({ id: id() }, { requiredKeys: [] }) },
  {
    name: 'setProviderCredentials',
    document: SetProviderCredentialsDocument,
    variables: () =>
      fc.record({ input: plausibly(fc.record({ provider: plausibleString(fc.constantFrom('aws', 'azure', 'gcp')), credentials: labels }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  },
  {
    name: 'updateTenantSettings',
    document: UpdateTenantSettingsDocument,
    variables: () =>
      fc.record(
        {
          input: plausibly(
            fc.record({ displayName: plausibleString(fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), text)), contactEmail: fc.oneof(plausibleString(fc.emailAddress()), fc.constant(null)) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
  },
];

/** What a response may never be, whatever was sent. */
function serverFailure(status: number, body: { errors?: { extensions?: Record<string, unknown>; message: string }[] } | null): string | null {
  if (status >= 500) return `HTTP ${status}`;
  if (body === null) return `a body that is not JSON (HTTP ${status})`;
  const internal = body.errors?.find((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR' || error.extensions?.code === undefined);
  return internal ? `${String(internal.extensions?.code)}: ${internal.message.slice(0, 300)}` : null;
}

async function expectPlatformAlive(): Promise<void> {
  expect((await fetch(new URL('/health', platform.gateway.url))).status).toBe(200);
  expect((await fetch(new URL('/health', platform.vms.url))).status).toBe(200);
  expect(platform.workers[0]?.process.exitCode).toBeNull();
  expect(platform.workers[0]?.process.signalCode).toBeNull();
}

describe('fuzzed mutation variables', () => {
  it.each(fuzzedMutations)('answers any variables of $name with a client error or a success, writing nothing on error', async ({ document, variables }) => {
    const query = print(document);
    await check(
      fc.asyncProperty(variables(), async (fuzzed) => {
        const body = JSON.stringify({ query, variables: fuzzed });
        fc.pre(Buffer.byteLength(body) < maxBodyBytes);
        await waitForIdleOperations(platform.database.sql);
        const before = await databaseFingerprint(platform.database.sql);
        const response = await postGraphQL(platform.gateway.url, body, { token: platform.token });
        expect(serverFailure(response.status, response.body)).toBeNull();
        if ((response.body?.errors?.length ?? 0) > 0) {
          expect(Object.values(response.body?.data ?? {}).filter((value) => value !== null)).toEqual([]);
          expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
        }
        expect(platform.workers[0]?.process.exitCode).toBeNull();
      }),
    );
    await expectPlatformAlive();
  }, propertyTimeoutMs);
});

type EdgeCase = [title: string, document: DocumentNode, variables: () => Record<string, unknown>];

const edgeCases: EdgeCase[] = [
  ['a NUL character in the display name', UpdateTenantSettingsDocument, () => ({ input: { displayName: 'Acme\u0000Corp' } })],
  ['a NUL character in the contact email', UpdateTenantSettingsDocument, () => ({ input: { displayName: 'Acme', contactEmail: 'ops\u0000@acme.example' } })],
  ['a NUL character in a label value', CreateVmDocument, () => ({ input: createVmInput({ labels: { team: 'web\u0000' } }) })],
  ['a NUL character in the idempotency key of createVM', CreateVmDocument, () => ({ input: createVmInput(), idempotencyKey: 'key\u0000' })],
  ['a NUL character in the idempotency key of stopVM', StopVmDocument, () => ({ id: real.vms[1], idempotencyKey: 'key\u0000' })],
  ['labels that are a string', CreateVmDocument, () => ({ input: { ...createVmInput(), labels: 'team=web' } })],
  ['labels that are a list', CreateVmDocument, () => ({ input: { ...createVmInput(), labels: [{ team: 'web' }] } })],
  ['credentials that are a string', SetProviderCredentialsDocument, () => ({ input: { provider: 'aws', credentials: 'AKIA:secret' } })],
];

describe('edge cases the fuzzing found', () => {
  it('answers an operation name the document lacks with BAD_USER_INPUT (HTTP 400), not a 500 from the gateway', async () => {
    const response = await postGraphQL(platform.gateway.url, { query: print(CreateVmDocument), variables: { input: createVmInput() }, operationName: 'F' }, { token: platform.token });
    expect(response.status).toBe(400);
    expect(response.body?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'operationName' });
  });

  it('codes parse and validation errors over graphql-ws as HTTP does', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send({ id: 'parse', type: 'subscribe', payload: { query: '{ mutation CreateVM(' } });
    raw.send({ id: 'validate', type: 'subscribe', payload: { query: '{ noSuchField }' } });
    const codeOf = async (id: string) => ((await raw.waitForMessage((message) => message.id === id && message.type === 'error')).payload as { extensions?: { code?: string } }[])[0]?.extensions?.code;
    expect(await codeOf('parse')).toBe('GRAPHQL_PARSE_FAILED');
    expect(await codeOf('validate')).toBe('GRAPHQL_VALIDATION_FAILED');
    raw.socket.close();
  });

  it.each(edgeCases)('answers %s with BAD_USER_INPUT, writing nothing', async (_title, document, variables) => {
    await waitForIdleOperations(platform.database.sql);
    const before = await databaseFingerprint(platform.database.sql);
    const response = await postGraphQL(platform.gateway.url, { query: print(document), variables: variables() }, { token: platform.token });
    expect(response.status).toBeLessThan(500);
    expect(response.body?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
  });
});

// Raw documents: texts made by cutting, repeating and splicing the SDK's own operations with the
// tokens parsers trip over, and plain random text. The answer is a client error or a success.
const sdkTexts = fuzzedMutations.map(({ document }) => print(document)).concat([
  '{ providers { name simulated regions { name } } }',
  'query ($id: ID!) { vm(id: $id) { id name status labels operations(first: 3) { edges { node { id status } } } } }',
  'subscription { vmEvents { cursor type vm { id status } } }',
  'subscription ($id: ID!) { operationUpdated(id: $id) { status } }',
]);
const graphqlTokens = fc.constantFrom(
  '{', '}', '(', ')', '[', ']', '...', '...F', 'fragment F on VM { ...F }', 'fragment F on Query { ...F }', '@skip(if: true)', '@include(if: $x)', '@deprecated',
  '$x', '$input', ':', '!', '=', '"', '"""', '#', '\n', '\u0000', '1e999', '-0', '99999999999999999999', 'null', 'true', '__typename', '__schema { types { name } }',
  '__type(name: "VM") { fields { name } }', 'subscription', 'mutation', 'query', 'on', 'VM', 'vms(first: 100000)', 'a: vms { edges { node { id } } }', '\ud800', '🚀', ',',
);
const spliced = fc
  .tuple(fc.constantFrom(...sdkTexts), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(graphqlTokens, fc.string({ unit: 'binary', maxLength: 8 }))), { minLength: 1, maxLength: 6 }))
  .map(([text, edits]) =>
    edits.reduce((current, [at, cut, insert]) => {
      const position = at % (current.length + 1);
      return `${current.slice(0, position)}${insert}${current.slice(position + cut)}`;
    }, text),
  );
const repeated = fc
  .tuple(fc.constantFrom('{ a', 'vm(id: "x") { operations(first: 1) { edges { node { vm {', '...F ', '@skip(if: false) ', '[', '(a: '), fc.integer({ min: 10, max: 3_000 }))
  .map(([unit, times]) => `query { ${unit.repeat(times)} }`);
const rawDocument = fc.oneof(
  { weight: 5, arbitrary: spliced },
  { weight: 1, arbitrary: repeated },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(...sdkTexts) },
);
const rawRequest = fc.oneof(
  { weight: 8, arbitrary: fc.record({ query: rawDocument, variables: fc.option(fc.oneof(anything, fc.dictionary(fc.constantFrom('id', 'input', 'x', 'idempotencyKey'), anything)), { nil: undefined }), operationName: fc.option(fc.oneof(text, fc.constant('F')), { nil: undefined }) }, { requiredKeys: ['query'] }) },
  { weight: 1, arbitrary: anything },
  { weight: 1, arbitrary: fc.record({ query: anything, variables: anything, extensions: anything }, { requiredKeys: [] }) },
);

describe('fuzzed raw documents', () => {
  it('answers any document with a client error or a success, writing nothing on error', async () => {
    await check(
      fc.asyncProperty(rawRequest, async (payload) => {
        const body = JSON.stringify(payload) ?? 'null';
        fc.pre(Buffer.byteLength(body) < maxBodyBytes);
        await waitForIdleOperations(platform.database.sql);
        const before = await databaseFingerprint(platform.database.sql);
        const response = await postGraphQL(platform.gateway.url, body, { token: platform.token });
        expect(serverFailure(response.status, response.body)).toBeNull();
        if ((response.body?.errors?.length ?? 0) > 0 && Object.values(response.body?.data ?? {}).every((value) => value === null)) {
          expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
        }
      }),
    );
    await expectPlatformAlive();
  }, propertyTimeoutMs);
});

// Raw graphql-ws frames after a valid connection_init: random text, random JSON, protocol messages
// with random fields, and subscribe messages carrying fuzzed documents or fuzzed mutation variables.
const messageTypes = fc.constantFrom('connection_init', 'ping', 'pong', 'subscribe', 'complete', 'next', 'error', 'connection_ack', 'unknown', '');
const fuzzedMutationFrame = fc.constantFrom(...fuzzedMutations).chain(({ document, variables }) =>
  variables().map((fuzzed) => ({ id: 'm', type: 'subscribe', payload: { query: print(document), variables: fuzzed } })),
);
const frame = fc.oneof(
  { weight: 3, arbitrary: fc.record({ id: fc.constant('d'), type: fc.constant('subscribe'), payload: fc.record({ query: rawDocument, variables: fc.option(anything, { nil: undefined }) }, { requiredKeys: ['query'] }) }).map((message) => JSON.stringify(message)) },
  { weight: 3, arbitrary: fuzzedMutationFrame.map((message) => JSON.stringify(message)) },
  { weight: 2, arbitrary: fc.record({ id: anything, type: fc.oneof(messageTypes, anything), payload: anything }, { requiredKeys: [] }).map((message) => JSON.stringify(message)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
);
/** Close codes that would mean the server failed rather than refused: graphql-ws's 4500, 1011, or a dropped connection. */
const failureCloseCodes = new Set([4500, 1011, 1006]);

describe('fuzzed WebSocket frames', () => {
  it('answers any frame with a protocol refusal, a client error or a success, never an internal error, writing nothing on error', async () => {
    await check(
      fc.asyncProperty(frame, async (sent) => {
        fc.pre(Buffer.byteLength(sent) < 16_000);
        await waitForIdleOperations(platform.database.sql);
        const before = await databaseFingerprint(platform.database.sql);
        const raw = await openRawGraphQLSocket(platform.gateway.url);
        raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
        await raw.waitForMessage((message) => message.type === 'connection_ack');
        raw.send(sent);
        const { id, isSubscription } = (() => {
          try {
            const parsed = JSON.parse(sent) as { id?: unknown; type?: unknown; payload?: { query?: unknown } } | null;
            const query = typeof parsed?.payload?.query === 'string' ? parsed.payload.query : '';
            return { id: parsed?.type === 'subscribe' && typeof parsed.id === 'string' ? parsed.id : null, isSubscription: /^\s*subscription\b/.test(query) };
          } catch {
            return { id: null, isSubscription: false };
          }
        })();
        // Settled: the socket closed, the operation ended, or (nothing to wait for) a ping came back.
        const settled = id === null ? raw.waitForMessage((message) => message.type === 'pong') : raw.waitForMessage((message) => message.id === id && (message.type === 'complete' || message.type === 'error'));
        if (id === null) raw.send({ type: 'ping' });
        // A subscription that stays open has nothing to settle: it is given a bounded moment, then closed.
        // Anything else is waited for (a safety net only), so a slow mutation cannot write after the check.
        await Promise.race([raw.closed, settled.catch(() => {}), new Promise((resolve) => setTimeout(resolve, isSubscription ? 3_000 : 60_000))]);
        const errors = raw.messages.filter((message) => message.type === 'error' || message.type === 'next').flatMap((message) => {
          const payload = message.payload as { errors?: { extensions?: { code?: string }; message: string }[] } | { extensions?: { code?: string }; message: string }[];
          return Array.isArray(payload) ? payload : (payload.errors ?? []);
        });
        const internal = errors.find((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR' || error.extensions?.code === undefined);
        expect(internal ? `${String(internal.extensions?.code)}: ${internal.message}` : null).toBeNull();
        const succeeded = raw.messages.some((message) => message.type === 'next' && !(message.payload as { errors?: unknown[] }).errors?.length);
        if (raw.socket.readyState === raw.socket.OPEN) raw.socket.close(1000);
        const closed = await raw.closed;
        expect(failureCloseCodes.has(closed.code) ? `closed ${closed.code} ${closed.reason}` : null).toBeNull();
        if (!succeeded) expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
      }),
    );
    await expectPlatformAlive();
  }, propertyTimeoutMs);
});
