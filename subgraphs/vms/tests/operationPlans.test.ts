import { describe, expect, it } from 'vitest';
import { operationPlans, planStepOf } from '../src/domain/operationPlans.ts';

describe('planStepOf', () => {
  it('runs a placed create’s provision attempts, named after their offering, with the provision handler', () => {
    expect(planStepOf('provision (aws us-east-1 t3.medium)')).toBe('provision');
    expect(planStepOf('provision (azure westeurope Standard_B2s)')).toBe('provision');
  });

  it('leaves every planned step name as it is', () => {
    for (const step of Object.values(operationPlans).flat()) expect(planStepOf(step)).toBe(step);
    expect(planStepOf('place')).toBe('place');
  });
});
