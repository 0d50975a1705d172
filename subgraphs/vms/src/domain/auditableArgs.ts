/** Argument names whose values are secrets: the audit log keeps only which fields were given. */
const secretArguments = new Set(['credentials']);

/**
 * The arguments as the audit log may see them: every secret value replaced by the sorted names of
 * its fields. An unsalted digest of a secret is no protection (a short or guessable secret is found
 * by hashing candidates), so none of it reaches the digest.
 */
export function auditableArgs(args: unknown): unknown {
  if (Array.isArray(args)) return args.map(auditableArgs);
  if (!args || typeof args !== 'object') return args;
  return Object.fromEntries(
    Object.entries(args).map(([name, value]) => {
      if (!secretArguments.has(name)) return [name, auditableArgs(value)];
      const fields = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : [];
      return [name, { redactedFields: fields }];
    }),
  );
}
