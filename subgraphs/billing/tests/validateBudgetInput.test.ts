import { describe, expect, it } from 'vitest';
import { validateBudgetInput, type BudgetInput } from '../src/domain/validateBudgetInput.ts';

const valid: BudgetInput = {
  name: ' Production ',
  amount: '500',
  scope: { providers: ['aws'], labels: [{ key: 'env', value: 'prod' }] },
  thresholds: [
    { percent: 100, basis: 'FORECAST' },
    { percent: 80.5, basis: 'ACTUAL' },
  ],
  action: 'BLOCK_CREATE',
};

const refusal = (input: Partial<BudgetInput>) => {
  try {
    validateBudgetInput({ ...valid, ...input });
  } catch (error) {
    return (error as { extensions: Record<string, unknown> }).extensions;
  }
  throw new Error('expected a refusal');
};

describe('budget input', () => {
  it('normalizes a valid budget: trimmed name, micro-dollars, thresholds in basis points, sorted', () => {
    expect(validateBudgetInput(valid)).toEqual({
      name: 'Production',
      amountMicros: 500_000_000n,
      period: 'MONTHLY',
      scope: { providers: ['aws'], regions: [], labels: [{ key: 'env', value: 'prod' }] },
      thresholds: [
        { basisPoints: 8050, basis: 'ACTUAL' },
        { basisPoints: 10_000, basis: 'FORECAST' },
      ],
      action: 'BLOCK_CREATE',
    });
  });

  it('refuses a negative or zero amount, naming input.amount', () => {
    expect(refusal({ amount: '-5' })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    expect(refusal({ amount: '0' })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    expect(refusal({ amount: '12.3456789' })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.amount' });
  });

  it('refuses an empty scope, naming input.scope', () => {
    expect(refusal({ scope: {} })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.scope' });
    expect(refusal({ scope: { providers: [], regions: [], labels: [] } })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.scope' });
  });

  it('refuses a threshold above 1000 % or at 0 %, naming the threshold', () => {
    expect(refusal({ thresholds: [{ percent: 50, basis: 'ACTUAL' }, { percent: 1000.01, basis: 'ACTUAL' }] })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.thresholds.1.percent',
    });
    expect(refusal({ thresholds: [{ percent: 0, basis: 'ACTUAL' }] })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.thresholds.0.percent' });
    expect(validateBudgetInput({ ...valid, thresholds: [{ percent: 1000, basis: 'FORECAST' }] }).thresholds).toEqual([{ basisPoints: 100_000, basis: 'FORECAST' }]);
  });

  it('refuses an empty name and a duplicated threshold', () => {
    expect(refusal({ name: '   ' })).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(refusal({ thresholds: [{ percent: 80, basis: 'ACTUAL' }, { percent: 80, basis: 'ACTUAL' }] })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.thresholds.1.percent',
    });
  });
});
