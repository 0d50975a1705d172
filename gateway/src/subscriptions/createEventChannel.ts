/**
 * A bounded, single-consumer async queue: what one subscription hands to graphql-ws. When the
 * consumer (the client's socket) falls behind by more than `limit` items, `push` refuses instead
 * of buffering without bound, and the caller applies the slow-consumer policy.
 */
export interface EventChannel<T> extends AsyncIterableIterator<T> {
  /** Queues a value; false when the queue is full. */
  push(value: T): boolean;
  /** Ends the iteration after the queued values. */
  end(): void;
  /** Stops at once, dropping queued values (the consumer went away, or was dropped). */
  return(): Promise<IteratorResult<T>>;
  readonly size: number;
}

/** Creates a channel; `onClose` runs once when the consumer stops (return) or the channel ends and drains. */
export function createEventChannel<T>(limit: number, onClose: () => void): EventChannel<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let ended = false;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  const channel: EventChannel<T> = {
    push(value) {
      if (ended) return true;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value, done: false });
        return true;
      }
      if (queue.length >= limit) return false;
      queue.push(value);
      return true;
    },
    end() {
      ended = true;
      if (waiting && queue.length === 0) {
        const resolve = waiting;
        waiting = null;
        close();
        resolve({ value: undefined, done: true });
      }
    },
    get size() {
      return queue.length;
    },
    next() {
      const value = queue.shift();
      if (value !== undefined) return Promise.resolve({ value, done: false });
      if (ended) {
        close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      ended = true;
      queue.length = 0;
      close();
      const resolve = waiting;
      waiting = null;
      resolve?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return channel;
    },
  };
  return channel;
}
