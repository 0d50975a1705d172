import { badInput } from '@novacron/errors';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks that an ID argument is a well-formed id (a UUID) and returns it lower-cased. */
export function parseId(field: string, value: string): string {
  if (!uuidPattern.test(value)) throw badInput(field, `${field} is not a valid id`);
  return value.toLowerCase();
}

/** True when a value looks like an id; lookups of malformed ids simply find nothing. */
export function isId(value: string): boolean {
  return uuidPattern.test(value);
}
