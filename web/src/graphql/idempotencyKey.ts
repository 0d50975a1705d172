/** A fresh idempotency key for one intended mutation; a retry of the same intent reuses it. */
export function newIdempotencyKey(prefix: string): string {
  return `web-${prefix}-${crypto.randomUUID()}`;
}
