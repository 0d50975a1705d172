/** A timer that may be cleared. */
export interface LongTimeout {
  clear(): void;
}

/** The longest delay Node's setTimeout takes; anything longer fires after 1 ms (TimeoutOverflowWarning). */
export const maxTimerDelayMs = 2 ** 31 - 1;

/**
 * setTimeout for delays of any length: a token valid for more than 24.8 days would otherwise close
 * its connection at once. Longer delays re-arm in steps of at most {@link maxTimerDelayMs}. The
 * timer never keeps the process alive.
 */
export function setLongTimeout(callback: () => void, delayMs: number, now: () => number = Date.now): LongTimeout {
  const dueAt = now() + Math.max(0, delayMs);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const remaining = dueAt - now();
    if (remaining <= 0) return callback();
    timer = setTimeout(arm, Math.min(remaining, maxTimerDelayMs));
    timer.unref();
  };
  const first = Math.min(Math.max(0, delayMs), maxTimerDelayMs);
  timer = setTimeout(first >= delayMs ? callback : arm, first);
  timer.unref();
  return { clear: () => clearTimeout(timer) };
}
