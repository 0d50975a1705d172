import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, workerPriorityWarning } from '../src/config.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('WORKER_NICE', () => {
  it('defaults to 10, takes 0 (unchanged) to 19, and refuses anything else with a clear error', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('WORKER_NICE', undefined);
    expect(loadConfig().worker.nice).toBe(10);
    for (const nice of ['0', '19']) {
      vi.stubEnv('WORKER_NICE', nice);
      expect(loadConfig().worker.nice).toBe(Number(nice));
    }
    for (const nice of ['20', '-5']) {
      vi.stubEnv('WORKER_NICE', nice);
      expect(() => loadConfig()).toThrow(/WORKER_NICE must be from 0 \(unchanged\) to 19/);
    }
    vi.stubEnv('WORKER_NICE', 'low');
    expect(() => loadConfig()).toThrow(/WORKER_NICE must be an integer/);
  });
});

describe('workerPriorityWarning', () => {
  it('warns only when a lower priority and yielding to accepting are both on', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('WORKER_NICE', undefined);
    vi.stubEnv('ACCEPT_PRESSURE_TARGET_MS', undefined);
    expect(workerPriorityWarning(loadConfig())).toBeNull();
    vi.stubEnv('ACCEPT_PRESSURE_TARGET_MS', '20');
    expect(workerPriorityWarning(loadConfig())).toMatch(/WORKER_NICE=10 and ACCEPT_PRESSURE_TARGET_MS=20 both give accepting the CPU first/);
    vi.stubEnv('WORKER_NICE', '0');
    expect(workerPriorityWarning(loadConfig())).toBeNull();
  });
});
