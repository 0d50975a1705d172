import { badInput } from '@novacron/errors';

const keyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/i;
export const maxLabels = 64;
export const maxLabelValueLength = 255;

/** Validates a labels object: at most 64 entries, DNS-like keys, string values up to 255 characters. */
export function validateLabels(field: string, labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw badInput(field, `${field} must be an object of string values`);
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > maxLabels) throw badInput(field, `${field} may hold at most ${maxLabels} labels`);
  const result: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (!keyPattern.test(key)) throw badInput(`${field}.${key}`, `label key "${key.slice(0, 80)}" must be 1-63 letters, digits, '.', '_', '/' or '-'`);
    if (typeof value !== 'string') throw badInput(`${field}.${key}`, `label "${key}" must have a string value`);
    if (value.length > maxLabelValueLength) throw badInput(`${field}.${key}`, `label "${key}" is longer than ${maxLabelValueLength} characters`);
    result[key] = value;
  }
  return result;
}
