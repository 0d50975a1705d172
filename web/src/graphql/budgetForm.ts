/** The budget form's checks: the billing subgraph's rules (validateBudgetInput), so a field is flagged before sending. */
import type { BudgetAction, ThresholdBasis, UpdateBudgetInput } from '@novacron/sdk';
import { parseLabelSelectors, type FieldErrors } from './validation.ts';

/** What the budget form holds: lists as comma-separated text. */
export interface BudgetFormValues {
  name: string;
  amount: string;
  action: BudgetAction;
  providers: string;
  regions: string;
  labels: string;
  thresholds: string;
  basis: ThresholdBasis;
}

const amountPattern = /^\d+(\.\d{1,6})?$/;
const maxThresholdPercent = 1000;

const list = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** The API input for the form (a full definition: valid for createBudget and updateBudget alike), or the errors keyed by the API's field paths (`input.amount`, `input.scope`, …). */
export function parseBudgetForm(form: BudgetFormValues): { input?: UpdateBudgetInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (name.length < 1 || name.length > 100) errors['input.name'] = 'name must be 1 to 100 characters';
  const amount = form.amount.trim();
  if (!amountPattern.test(amount)) errors['input.amount'] = 'a USD amount with at most six decimals, like 500 or 99.95';
  else if (Number(amount) <= 0) errors['input.amount'] = 'amount must be positive';

  const providers = [...new Set(list(form.providers))];
  const regions = [...new Set(list(form.regions))];
  const labels = parseLabelSelectors(form.labels);
  if (labels.some((label) => label.key === '')) errors['input.scope.labels'] = 'a label selector needs a key';
  if (providers.length + regions.length + labels.length === 0) errors['input.scope'] = 'name at least one provider, region or label selector';

  const percents = list(form.thresholds).map(Number);
  if (percents.length > 10) errors['input.thresholds'] = 'at most 10 thresholds';
  else if (percents.some((percent) => !Number.isFinite(percent) || percent <= 0 || percent > maxThresholdPercent)) errors['input.thresholds'] = `each threshold is above 0 and at most ${maxThresholdPercent} %`;
  else if (percents.some((percent) => Math.abs(percent * 100 - Math.round(percent * 100)) > 1e-6)) errors['input.thresholds'] = 'a threshold has at most two decimals';
  else if (new Set(percents).size !== percents.length) errors['input.thresholds'] = 'the same threshold appears twice';

  if (Object.keys(errors).length > 0) return { errors };
  return {
    errors,
    input: {
      name,
      amount,
      action: form.action,
      scope: { providers, regions, labels: labels.map((label) => ({ key: label.key, value: label.value ?? null })) },
      thresholds: percents.map((percent) => ({ percent, basis: form.basis })),
    },
  };
}
