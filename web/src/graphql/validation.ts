/** Client-side checks that mirror the vms subgraph's (validateCreateInput, validateLabels), so a form flags a field before sending it. */
export const namePattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const labelKeyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/i;
export const maxLabels = 64;
const maxLabelValueLength = 255;

export type FieldErrors = Partial<Record<string, string>>;

/** Parses `key=value` lines (or comma-separated) into labels; errors are keyed `input.labels`. */
export function parseLabels(text: string): { labels: Record<string, string>; error?: string } {
  const labels: Record<string, string> = {};
  const parts = text.split(/[\n,]/).map((part) => part.trim()).filter(Boolean);
  if (parts.length > maxLabels) return { labels, error: `at most ${maxLabels} labels` };
  for (const part of parts) {
    const index = part.indexOf('=');
    const key = (index < 0 ? part : part.slice(0, index)).trim();
    const value = index < 0 ? '' : part.slice(index + 1).trim();
    if (!labelKeyPattern.test(key)) return { labels, error: `label key "${key}" must be 1-63 letters, digits, '.', '_', '/' or '-'` };
    if (value.length > maxLabelValueLength) return { labels, error: `label "${key}" is longer than ${maxLabelValueLength} characters` };
    labels[key] = value;
  }
  return { labels };
}

/** Label selectors for the fleet filter: `key` (any value) or `key=value`, comma-separated. */
export function parseLabelSelectors(text: string): { key: string; value?: string }[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const index = part.indexOf('=');
      return index < 0 ? { key: part } : { key: part.slice(0, index).trim(), value: part.slice(index + 1).trim() };
    });
}
