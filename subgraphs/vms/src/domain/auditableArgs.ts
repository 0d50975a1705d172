/** Argument names whose values are secrets: the audit log keeps only which fields were given. */
const secretArguments = new Set(['credentials']);

/**
 * The arguments as the audit log may see them: every secret value replaced by the sorted names of
 * its fields. An unsalted digest of a secret is no protection (a short or guessable secret is found
 * by hashing candidates), so none of it reaches the digest. Arguments without a secret come back as
 * they are (the same object, nothing copied): every audited mutation digests its arguments, and
 * copying each level with entries/map/fromEntries was most of this function's cost per createVM.
 */
export function auditableArgs(args: unknown): unknown {
  if (Array.isArray(args)) {
    let copy: unknown[] | null = null;
    for (let index = 0; index < args.length; index += 1) {
      const value: unknown = args[index];
      const seen = auditableArgs(value);
      if (seen !== value) (copy ??= [...args])[index] = seen;
    }
    return copy ?? args;
  }
  if (!args || typeof args !== 'object') return args;
  const object = args as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const name of Object.keys(object)) {
    const value = object[name];
    const seen = secretArguments.has(name) ? { redactedFields: value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : [] } : auditableArgs(value);
    if (seen !== value) (copy ??= { ...object })[name] = seen;
  }
  return copy ?? args;
}
