import { readFile } from 'node:fs/promises';

/** The fields of `/proc/<pid>/stat` NovaCron reads: the process's state letter and its parent. */
export interface ProcStat {
  state: string;
  ppid: number;
}

/** `/proc/<pid>/stat` of a process, or null when there is no such process (or no `/proc`). */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after its last ')'.
  const [state = '', ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

/** Whether `pid` runs: a zombie (ended, not yet reaped by whoever adopted it) does not. */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== null && stat.state !== 'Z';
}
