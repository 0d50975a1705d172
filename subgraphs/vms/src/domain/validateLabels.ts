import { badInput } from '@novacron/errors';

const keyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/i;
export const maxLabels = 64;
export const maxLabelValueLength = 255;

/**
 * Validates a labels object: at most 64 entries, DNS-like keys, string values up to 255 characters,
 * or up to `longValues[key]` characters for the few keys a caller names (a GCP service-account key).
 */
export function validateLabels(field: string, labels: unknown, longValues: Readonly<Record<string, number>> = {}): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw badInput(field, `${field} must be an object of string values`);
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > maxLabels) throw badInput(field, `${field} may hold at most ${maxLabels} labels`);
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!keyPattern.test(key)) throw badInput(`${field}.${key}`, `label key "${key.slice(0, 80)}" must be 1-63 letters, digits, '.', '_', '/' or '-'`);
    if (typeof value !== 'string') throw badInput(`${field}.${key}`, `label "${key}" must have a string value`);
    const limit = Object.hasOwn(longValues, key) ? (longValues[key] as number) : maxLabelValueLength;
    if (value.length > limit) throw badInput(`${field}.${key}`, `label "${key}" is longer than ${limit} characters`);
    result[key] = value;
  }
  return result;
}
