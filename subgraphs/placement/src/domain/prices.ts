import type { CatalogEntry } from '@novacron/catalog';

/**
 * Hours in the month used for monthly prices: 730 (365 × 24 / 12), the month AWS, Azure and GCP
 * price calculators use.
 */
export const hoursPerMonth = 730;

/** The hourly price that applies to a request: the spot snapshot when `spot`, otherwise on-demand; null when the row has no spot price. */
export function hourlyPriceOf(entry: CatalogEntry, spot: boolean): number | null {
  return spot ? entry.spotPriceHourUsd : entry.priceHourUsd;
}

/** A monthly price from an hourly one, rounded to a hundredth of a cent (prices are list prices, not invoices). */
export function monthlyPriceOf(hourly: number): number {
  return roundMoney(hourly * hoursPerMonth);
}

/** Rounds a USD amount to 4 decimals so binary floating-point noise (0.1 × 730) never reaches clients. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 10_000) / 10_000;
}
