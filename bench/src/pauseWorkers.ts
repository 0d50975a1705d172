import { readdirSync, readFileSync } from 'node:fs';

/** The bench's descendant processes running the operation worker (`workerMain.ts`). */
function workerPids(): number[] {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(pid, ppid);
      commands.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      // The process exited while we looked.
    }
  }
  const descends = (pid: number): boolean => {
    for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current)) if (current === process.pid) return true;
    return false;
  };
  return [...commands].filter(([pid, command]) => command.includes('workerMain.ts') && descends(pid)).map(([pid]) => pid);
}

/**
 * Freezes the platform's worker processes (SIGSTOP) so a burst of createVM measures accepting alone,
 * and returns a function that thaws them (SIGCONT). Linux only. Their leases keep running meanwhile:
 * keep the pause shorter than WORKER_LEASE_SECONDS (30 s).
 */
export function pauseWorkers(): { pids: number[]; resume(): void } {
  const pids = workerPids();
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return {
    pids,
    resume: () => {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    },
  };
}
