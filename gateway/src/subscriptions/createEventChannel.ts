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
  return new BoundedChannel<T>(limit, onClose);
}

/**
 * A class rather than an object of closures: one channel lives per subscription, and its seven
 * closures and their context were ≈ 0.5 KB of every idle subscriber; methods on a prototype are shared.
 */
class BoundedChannel<T> implements EventChannel<T> {
  readonly #queue: T[] = [];
  readonly #limit: number;
  #onClose: (() => void) | null;
  #waiting: ((result: IteratorResult<T>) => void) | null = null;
  #ended = false;

  constructor(limit: number, onClose: () => void) {
    this.#limit = limit;
    this.#onClose = onClose;
  }

  #close(): void {
    const onClose = this.#onClose;
    this.#onClose = null;
    onClose?.();
  }

  push(value: T): boolean {
    if (this.#ended) return true;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve({ value, done: false });
      return true;
    }
    if (this.#queue.length >= this.#limit) return false;
    this.#queue.push(value);
    return true;
  }

  end(): void {
    this.#ended = true;
    if (this.#waiting && this.#queue.length === 0) {
      const resolve = this.#waiting;
      this.#waiting = null;
      this.#close();
      resolve({ value: undefined, done: true });
    }
  }

  get size(): number {
    return this.#queue.length;
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.#queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.#ended) {
      this.#close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#ended = true;
    this.#queue.length = 0;
    this.#close();
    const resolve = this.#waiting;
    this.#waiting = null;
    resolve?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
