import { describe, expect, it } from 'vitest';
import { createEventChannel } from '../src/subscriptions/createEventChannel.ts';

describe('event channel', () => {
  it('hands values over in order, to a waiting consumer or from the queue', async () => {
    const channel = createEventChannel<number>(10, () => {});
    const waiting = channel.next();
    expect(channel.push(1)).toBe(true);
    expect(await waiting).toEqual({ value: 1, done: false });
    channel.push(2);
    channel.push(3);
    expect(channel.size).toBe(2);
    expect([(await channel.next()).value, (await channel.next()).value]).toEqual([2, 3]);
  });

  it('refuses a push once the queue is full, so the caller can drop a slow consumer', () => {
    const channel = createEventChannel<number>(2, () => {});
    expect([channel.push(1), channel.push(2), channel.push(3)]).toEqual([true, true, false]);
  });

  it('ends after draining what was queued, and calls onClose once', async () => {
    let closed = 0;
    const channel = createEventChannel<string>(5, () => (closed += 1));
    channel.push('a');
    channel.end();
    expect(await channel.next()).toEqual({ value: 'a', done: false });
    expect(await channel.next()).toEqual({ value: undefined, done: true });
    await channel.return();
    expect(closed).toBe(1);
  });

  it('stops at once on return, dropping queued values and releasing a waiting consumer', async () => {
    let closed = 0;
    const channel = createEventChannel<string>(5, () => (closed += 1));
    const consumer = createEventChannel<string>(5, () => {});
    const waiting = consumer.next();
    await consumer.return();
    expect(await waiting).toEqual({ value: undefined, done: true });
    channel.push('dropped');
    await channel.return();
    expect(channel.size).toBe(0);
    expect(closed).toBe(1);
  });
});
