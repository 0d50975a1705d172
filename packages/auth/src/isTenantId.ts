const tenantIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Whether a value is a well-formed tenant id: 1–63 characters of `[a-z0-9-]`, not starting with `-`. */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && tenantIdPattern.test(value);
}
