/**
 * Hand-rolled rather than decimal.js: bigint micro-dollars are exact for every catalog price and
 * billing needs only addition, multiplication and one rounded division.
 *
 * Money as integer micro-dollars (`bigint`, 1 USD = 1,000,000 µ$). Every catalog price has at most six
 * decimals, so prices convert exactly; a cost is rounded once, half up, per line item (one segment's
 * share of one UTC day), and every total is an exact integer sum of line items, so groups always add
 * up to their total. Binary floating point never touches an amount.
 */

/** An amount in micro-dollars. */
export type Micros = bigint;

/** One dollar in micro-dollars. */
export const microsPerDollar = 1_000_000n;

const decimalPattern = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/**
 * Parses a USD amount with at most six decimals ("12.5", "0.0679", or a JS number whose shortest
 * representation has at most six decimals, as every catalog price does) into micro-dollars, exactly.
 * Throws on anything else (more decimals, exponents, NaN) rather than rounding silently.
 */
export function parseUsd(value: string | number): Micros {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = decimalPattern.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a USD amount with at most six decimals`);
  const [, sign, whole, fraction = ''] = match;
  const micros = BigInt(whole ?? '0') * microsPerDollar + BigInt(fraction.padEnd(6, '0'));
  return sign ? -micros : micros;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite amount`);
  // Shortest round-trip representation: 0.0104 prints as "0.0104", never "0.010399999…".
  const text = String(value);
  if (/e/i.test(text)) throw new RangeError(`${text} is outside the range of USD amounts`);
  return text;
}

/** Formats micro-dollars as a plain decimal string with six fraction digits ("-1.250000"). */
export function formatUsd(micros: Micros): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / microsPerDollar;
  const fraction = (magnitude % microsPerDollar).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** `numerator / denominator` rounded half away from zero; the one rounding rule of billing. */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = (magnitude * 2n + denominator) / (denominator * 2n);
  return negative ? -quotient : quotient;
}

/** The exact sum of amounts. */
export function sumMicros(amounts: Iterable<Micros>): Micros {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}

/**
 * A price that accrues linearly with time: `numerator` micro-dollars per `perSeconds` seconds. Compute
 * prices are µ$/hour (perSeconds 3600); disk prices are µ$ per GB-month times GB (perSeconds 730 h).
 */
export interface Rate {
  numerator: bigint;
  perSeconds: bigint;
}

/** Seconds in an hour, and in the 730-hour billing month the providers' price pages use. */
export const secondsPerHour = 3600n;
export const secondsPerBillingMonth = 730n * 3600n;

/** A rate of `micros` per hour. */
export function hourlyRate(micros: Micros): Rate {
  return { numerator: micros, perSeconds: secondsPerHour };
}

/** What `rate` costs over `seconds` whole seconds, rounded to the micro-dollar. */
export function costOf(rate: Rate, seconds: bigint | number): Micros {
  return divideRounded(rate.numerator * BigInt(seconds), rate.perSeconds);
}

/** The rate expressed per hour, rounded to the micro-dollar (for display). */
export function perHour(rate: Rate): Micros {
  return costOf(rate, secondsPerHour);
}
