import { readFileSync } from 'node:fs';
import { Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { auditLog, operationEvents, operations, vmEvents, vms, stepStatuses } from '../src/db/schema.ts';

const sdl = parse(readFileSync(new URL('../src/schema.graphql', import.meta.url), 'utf8'));

function graphqlEnum(name: string): string[] {
  for (const definition of sdl.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === name) return (definition.values ?? []).map((value) => value.name.value).sort();
  }
  throw new Error(`schema.graphql has no enum ${name}`);
}

describe('enum-like columns', () => {
  // The drizzle columns are the one source of these types; the GraphQL enums must carry exactly the
  // same values, or a row could hold a value the API cannot return (or the API accept one no row holds).
  it.each([
    ['VMStatus', vms.status.enumValues],
    ['OperationKind', operations.kind.enumValues],
    ['OperationStatus', operations.status.enumValues],
    ['OperationStatus', operationEvents.status.enumValues],
    ['StepStatus', stepStatuses],
    ['VMEventType', vmEvents.type.enumValues],
    ['AuditOutcome', auditLog.outcome.enumValues],
  ] as const)('holds the values of the GraphQL enum %s', (name, values) => {
    expect([...values].sort()).toEqual(graphqlEnum(name));
  });
});
