import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSubgraphConfig } from '../src/SubgraphConfig.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('BACKGROUND_NICE', () => {
  it('defaults to 10, takes 0 (unchanged) to 19, and refuses anything else with a clear error', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('BACKGROUND_NICE', undefined);
    expect(loadSubgraphConfig('billing').backgroundNice).toBe(10);
    for (const nice of ['0', '19']) {
      vi.stubEnv('BACKGROUND_NICE', nice);
      expect(loadSubgraphConfig('billing').backgroundNice).toBe(Number(nice));
    }
    for (const nice of ['20', '-5']) {
      vi.stubEnv('BACKGROUND_NICE', nice);
      expect(() => loadSubgraphConfig('billing')).toThrow(/BACKGROUND_NICE must be from 0 \(unchanged\) to 19/);
    }
    vi.stubEnv('BACKGROUND_NICE', 'low');
    expect(() => loadSubgraphConfig('billing')).toThrow(/BACKGROUND_NICE must be an integer/);
  });
});
