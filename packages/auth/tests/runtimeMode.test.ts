import { describe, expect, it } from 'vitest';
import { isProductionMode } from '../src/index.ts';

describe('isProductionMode', () => {
  it('runs hardened unless development mode is asked for explicitly, whatever NODE_ENV says', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'prod' }, { NODE_ENV: 'staging' }, { NODE_ENV: 'production' }, { NOVACRON_DEV: '0' }, { NOVACRON_DEV: '' }]) {
      expect(isProductionMode(env)).toBe(true);
    }
  });

  it('turns development mode on only with NOVACRON_DEV=1', () => {
    expect(isProductionMode({ NOVACRON_DEV: '1' })).toBe(false);
    expect(isProductionMode({ NOVACRON_DEV: '1', NODE_ENV: 'development' })).toBe(false);
  });

  it('refuses to guess on a malformed switch or a contradiction', () => {
    expect(() => isProductionMode({ NOVACRON_DEV: 'yes' })).toThrow(/NOVACRON_DEV must be 1/);
    expect(() => isProductionMode({ NOVACRON_DEV: '1', NODE_ENV: 'production' })).toThrow(/unset one of them/);
  });
});
