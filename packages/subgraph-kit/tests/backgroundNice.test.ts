import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSubgraphConfig } from '../src/SubgraphConfig.ts';
import { readSubgraphManifest } from '../src/subgraphManifest.ts';

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

describe('BACKGROUND_CGROUP', () => {
  it('is off when unset or empty, takes an absolute directory, and refuses auto and relative paths with the BAD_USER_INPUT code', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    for (const unset of [undefined, '', '  ']) {
      vi.stubEnv('BACKGROUND_CGROUP', unset);
      expect(loadSubgraphConfig('billing').backgroundCgroup).toBeNull();
    }
    vi.stubEnv('BACKGROUND_CGROUP', '/sys/fs/cgroup/cpu/novacron-background-42');
    expect(loadSubgraphConfig('metrics').backgroundCgroup).toBe('/sys/fs/cgroup/cpu/novacron-background-42');
    // auto is npm start's to resolve: a subgraph run on its own cannot make the group for its siblings.
    vi.stubEnv('BACKGROUND_CGROUP', 'auto');
    expect(() => loadSubgraphConfig('billing')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/resolved by npm start/) }));
    vi.stubEnv('BACKGROUND_CGROUP', 'novacron-background');
    expect(() => loadSubgraphConfig('billing')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/absolute path/) }));
  });
});

describe('SUBGRAPH_ROLE', () => {
  it('defaults to all, takes requests and background, and refuses anything else with the BAD_USER_INPUT code', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('SUBGRAPH_ROLE', undefined);
    expect(loadSubgraphConfig('billing').role).toBe('all');
    for (const role of ['all', 'requests', 'background']) {
      vi.stubEnv('SUBGRAPH_ROLE', role);
      expect(loadSubgraphConfig('billing').role).toBe(role);
    }
    vi.stubEnv('SUBGRAPH_ROLE', 'worker');
    expect(() => loadSubgraphConfig('billing')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', message: 'SUBGRAPH_ROLE must be one of all, requests, background, got "worker"' }));
  });

  it('marks, in the manifest, the subgraphs whose background work npm start may run in a process of its own', () => {
    const marked = readSubgraphManifest().subgraphs.filter((entry) => entry.background).map((entry) => entry.name);
    expect(marked.sort()).toEqual(['billing', 'metrics', 'placement']);
  });
});
