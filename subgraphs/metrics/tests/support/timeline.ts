/** Whole hours before now, so test data sits inside every retention window whatever the clock says. */
export function hoursAgo(hours: number, now = Date.now()): Date {
  return new Date((Math.floor(now / 3_600_000) - hours) * 3_600_000);
}

/** `base` plus seconds. */
export function plusSeconds(base: Date, seconds: number): Date {
  return new Date(base.getTime() + seconds * 1000);
}
