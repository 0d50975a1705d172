import { describe, expect, it } from 'vitest';
import { createLogger } from '@novacron/server-kit';
import { startWhenDatabaseAnswers } from '../src/worker/startWhenDatabaseAnswers.ts';

const logger = createLogger('test', 'silent');
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('startWhenDatabaseAnswers', () => {
  it('starts once the database answers, after the attempts it refused', async () => {
    let attempts = 0;
    const started = await startWhenDatabaseAnswers(
      async () => {
        attempts += 1;
        if (attempts < 3) throw refused();
        return 'runner';
      },
      { logger, initialDelayMs: 1, maxDelayMs: 5 },
    );
    expect(started).toBe('runner');
    expect(attempts).toBe(3);
  });

  it('gives up at once on an error that is not the database being away', async () => {
    let attempts = 0;
    const failing = startWhenDatabaseAnswers(
      async () => {
        attempts += 1;
        throw new Error('relation "graphile_worker.jobs" has a bad column');
      },
      { logger, initialDelayMs: 1 },
    );
    await expect(failing).rejects.toThrow(/bad column/);
    expect(attempts).toBe(1);
  });

  it('stops retrying when the worker is stopped', async () => {
    const stopping = new AbortController();
    let attempts = 0;
    const waiting = startWhenDatabaseAnswers(
      async () => {
        attempts += 1;
        if (attempts === 2) stopping.abort(new Error('worker stopping'));
        throw refused();
      },
      { logger, signal: stopping.signal, initialDelayMs: 1, maxDelayMs: 5 },
    );
    await expect(waiting).rejects.toThrow();
    const made = attempts;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attempts).toBe(made);
  });
});
