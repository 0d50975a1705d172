import { badInput } from '@novacron/errors';
import type { BudgetScope, BudgetThreshold } from '../db/schema.ts';
import { parseUsd, type Micros } from './money.ts';

/** A budget as the API describes it (amount as a decimal USD string, thresholds in percent). */
export interface BudgetInput {
  name: string;
  amount: string;
  period?: 'MONTHLY' | null;
  scope: { providers?: string[] | null; regions?: string[] | null; labels?: Array<{ key: string; value?: string | null }> | null };
  thresholds: Array<{ percent: number; basis?: 'ACTUAL' | 'FORECAST' | null }>;
  action?: 'ALERT' | 'BLOCK_CREATE' | null;
}

/** A validated budget, ready to store. */
export interface ValidBudget {
  name: string;
  amountMicros: Micros;
  period: 'MONTHLY';
  scope: BudgetScope;
  thresholds: BudgetThreshold[];
  action: 'ALERT' | 'BLOCK_CREATE';
}

/** Highest threshold accepted, percent. */
export const maxThresholdPercent = 1000;

/**
 * Checks a budget and normalizes it; the first problem is thrown as BAD_USER_INPUT naming its field
 * (`input.amount`, `input.scope`, `input.thresholds.1.percent`, …), before anything is written.
 */
export function validateBudgetInput(input: BudgetInput, prefix = 'input'): ValidBudget {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw badInput(`${prefix}.name`, 'name must be 1 to 100 characters');

  let amountMicros: Micros;
  try {
    amountMicros = parseUsd(input.amount);
  } catch {
    throw badInput(`${prefix}.amount`, 'amount must be a USD decimal with at most six decimals, like "500" or "99.95"');
  }
  if (amountMicros <= 0n) throw badInput(`${prefix}.amount`, 'amount must be positive');

  const clean = (values: string[] | null | undefined, field: string) => {
    const list = (values ?? []).map((value) => value.trim());
    if (list.some((value) => value === '')) throw badInput(`${prefix}.scope.${field}`, `${field} must not contain empty names`);
    return [...new Set(list)];
  };
  const scope: BudgetScope = {
    providers: clean(input.scope.providers, 'providers'),
    regions: clean(input.scope.regions, 'regions'),
    labels: (input.scope.labels ?? []).map((selector, index) => {
      if (selector.key.trim() === '') throw badInput(`${prefix}.scope.labels.${index}.key`, 'a label selector needs a key');
      return { key: selector.key.trim(), value: selector.value ?? null };
    }),
  };
  if (scope.providers.length + scope.regions.length + scope.labels.length === 0) {
    throw badInput(`${prefix}.scope`, 'scope must name at least one provider, region or label selector');
  }

  if (input.thresholds.length > 10) throw badInput(`${prefix}.thresholds`, 'at most 10 thresholds');
  const seen = new Set<string>();
  const thresholds = input.thresholds.map((threshold, index) => {
    const field = `${prefix}.thresholds.${index}.percent`;
    const basisPoints = Math.round(threshold.percent * 100);
    if (!Number.isFinite(threshold.percent) || threshold.percent <= 0) throw badInput(field, 'a threshold must be above 0 %');
    if (threshold.percent > maxThresholdPercent) throw badInput(field, `a threshold must be at most ${maxThresholdPercent} %`);
    if (Math.abs(threshold.percent * 100 - basisPoints) > 1e-6) throw badInput(field, 'a threshold has at most two decimals');
    const basis = threshold.basis ?? 'ACTUAL';
    const key = `${basis}:${basisPoints}`;
    if (seen.has(key)) throw badInput(field, 'the same threshold appears twice');
    seen.add(key);
    return { basisPoints, basis };
  });
  thresholds.sort((a, b) => a.basisPoints - b.basisPoints || a.basis.localeCompare(b.basis));
  if (input.period != null && input.period !== 'MONTHLY') throw badInput(`${prefix}.period`, 'only MONTHLY budgets exist');
  return { name, amountMicros, period: 'MONTHLY', scope, thresholds, action: input.action ?? 'ALERT' };
}
