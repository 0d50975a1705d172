import type { Logger } from '@novacron/server-kit';

/** A periodic task: runs one at a time (never overlapping itself), first right away. */
export interface PeriodicTask {
  name: string;
  intervalMs: number;
  run(): Promise<void>;
}

/**
 * Runs periodic tasks until stopped; `stop` waits for runs in flight. Hand-rolled because it is a
 * dozen lines of timers (no queue, no persistence needed: every task is idempotent and re-derives
 * its work from the database).
 */
export function startBackgroundJobs(tasks: PeriodicTask[], logger: Logger): { stop(): Promise<void> } {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const schedule = (task: PeriodicTask, delayMs: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = task
        .run()
        .catch((error: unknown) => logger.warn({ err: error, task: task.name }, 'background task failed; it runs again next interval'))
        .finally(() => {
          inFlight.delete(run);
          schedule(task, task.intervalMs);
        });
      inFlight.add(run);
    }, delayMs);
    timers.add(timer);
  };
  for (const task of tasks) schedule(task, 0);
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([...inFlight]);
    },
  };
}
