import { describe, expect, it } from 'vitest';
import { onFirstUse } from '../src/cloud/onFirstUse.ts';

describe('onFirstUse', () => {
  it('loads on the first call only and hands every caller the same promise', async () => {
    let loads = 0;
    const client = onFirstUse(async () => ({ n: ++loads }));
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([client(), client()]);
    const c = await client();
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it('forgets a load that failed, so the next call tries again, and keeps the one that succeeds', async () => {
    let loads = 0;
    const client = onFirstUse(async () => {
      loads += 1;
      if (loads === 1) throw new Error('credentials not there yet');
      return { n: loads };
    });
    const first = client();
    expect(client()).toBe(first);
    await expect(first).rejects.toThrow('credentials not there yet');
    await Promise.resolve();
    const second = await client();
    expect(second).toEqual({ n: 2 });
    expect(await client()).toBe(second);
    expect(loads).toBe(2);
  });
});
