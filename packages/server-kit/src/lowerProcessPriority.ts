import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Gives this whole process a lower CPU priority (nice 1–19): background work that should give way to
 * latency-sensitive processes on the same machine (the operation workers to the accept path).
 * Linux keeps a nice value per thread and a new thread inherits its creator's, so every thread that
 * exists now is set (V8's compiler and GC helpers start before any of our code runs) and the ones
 * made later inherit it. Returns how many threads were set.
 */
export function lowerProcessPriority(nice: number): number {
  if (!Number.isInteger(nice) || nice < 1 || nice > 19) throw new RangeError(`nice must be an integer from 1 to 19, got ${nice}`);
  let threads: number[] = [];
  try {
    threads = readdirSync('/proc/self/task').map(Number).filter(Number.isInteger);
  } catch {
    // Not Linux: the nice value is per process there.
  }
  if (threads.length === 0) {
    setPriority(nice);
    return 1;
  }
  let set = 0;
  for (const thread of threads) {
    try {
      setPriority(thread, nice);
      set += 1;
    } catch {
      // The thread ended between the listing and the call.
    }
  }
  return set;
}
