import { describe, expect, it } from 'vitest';
import { parseBudgetForm, type BudgetFormValues } from '../src/graphql/budgetForm.ts';

const valid: BudgetFormValues = { name: ' team budget ', amount: '99.95', action: 'BLOCK_CREATE', providers: 'aws, gcp, aws', regions: '', labels: 'team=payments, env', thresholds: '50, 80.5', basis: 'FORECAST' };

describe('parseBudgetForm (the billing subgraph rules, checked before sending)', () => {
  it('turns the form into a full budget definition', () => {
    expect(parseBudgetForm(valid)).toEqual({
      errors: {},
      input: {
        name: 'team budget',
        amount: '99.95',
        action: 'BLOCK_CREATE',
        scope: { providers: ['aws', 'gcp'], regions: [], labels: [{ key: 'team', value: 'payments' }, { key: 'env', value: null }] },
        thresholds: [
          { percent: 50, basis: 'FORECAST' },
          { percent: 80.5, basis: 'FORECAST' },
        ],
      },
    });
  });

  it.each([
    [{ name: '  ' }, 'input.name'],
    [{ amount: '-5' }, 'input.amount'],
    [{ amount: '0' }, 'input.amount'],
    [{ amount: '1.1234567' }, 'input.amount'],
    [{ providers: '', labels: '' }, 'input.scope'],
    [{ thresholds: '1001' }, 'input.thresholds'],
    [{ thresholds: '0' }, 'input.thresholds'],
    [{ thresholds: '50.123' }, 'input.thresholds'],
    [{ thresholds: '50, 50' }, 'input.thresholds'],
    [{ labels: '=x' }, 'input.scope.labels'],
  ])('flags %j on %s and sends nothing', (change, field) => {
    const { input, errors } = parseBudgetForm({ ...valid, ...change });
    expect(input).toBeUndefined();
    expect(Object.keys(errors)).toContain(field);
  });
});
