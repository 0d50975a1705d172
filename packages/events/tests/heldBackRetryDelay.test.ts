import { describe, expect, it } from 'vitest';
import { heldBackRetryDelay } from '../src/index.ts';

describe('heldBackRetryDelay', () => {
  it('starts at 25 ms and doubles, but never waits more than 1 s however long the poll interval', () => {
    const waits: number[] = [];
    let wait = 0;
    for (let read = 0; read < 8; read += 1) waits.push((wait = heldBackRetryDelay(wait, 600_000)));
    expect(waits).toEqual([25, 50, 100, 200, 400, 800, 1_000, 1_000]);
  });

  it('never waits longer than a shorter poll interval', () => {
    expect(heldBackRetryDelay(200, 300)).toBe(300);
    expect(heldBackRetryDelay(0, 20)).toBe(20);
  });
});
