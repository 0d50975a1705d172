import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isRunning } from './procStat.ts';

/** A CPU cgroup made by {@link createIdleCgroup}. */
export interface IdleCgroup {
  /** The cgroup's directory: hand it to the processes whose work may wait (`BACKGROUND_CGROUP`). */
  path: string;
  /** `idle`: the group runs only on CPU time that no other task wants (`cpu.idle`); `weight`: the lowest share the kernel offers (older kernels). */
  mode: 'idle' | 'weight';
  /** Removes the group once the processes in it have ended; false when some are still in it after a few tries. */
  remove(): Promise<boolean>;
}

/**
 * Makes a CPU cgroup whose processes get the CPU only when nothing else wants it, beside (under) the
 * calling process's own CPU cgroup: `<prefix>-<pid>`, with `cpu.idle` = 1 (Linux 5.15 and later;
 * the smallest `cpu.shares` / `cpu.weight` before). The kernel treats the whole group as one
 * `SCHED_IDLE` entity: any other task waking up preempts it at once, and however many of its
 * processes are runnable, together they take no time from the others. Nice values cannot do that:
 * each Postgres backend is a scheduling group of its own (docs/architecture.md, "One idle CPU
 * cgroup for all background work"), so twenty lowered backends still take twenty shares.
 *
 * Needs a writable cgroup hierarchy with the `cpu` controller: cgroup v1's `cpu` hierarchy, or a
 * cgroup v2 directory that delegates `cpu` to its children (root, or a systemd unit with
 * `Delegate=yes`). Otherwise it changes nothing and says why. Groups `<prefix>-<pid>` whose process
 * is gone (a supervisor killed before it could remove its own) are removed first.
 */
export async function createIdleCgroup(prefix: string): Promise<IdleCgroup | string> {
  if (process.platform !== 'linux') return `CPU cgroups exist only on Linux (this is ${process.platform})`;
  const parent = await ownCpuCgroup();
  if (typeof parent === 'string') return parent;
  await removeStale(parent, prefix);
  const path = join(parent.dir, `${prefix}-${process.pid}`);
  try {
    await mkdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot make a CPU cgroup under ${parent.dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  let mode: IdleCgroup['mode'] = 'idle';
  try {
    await writeFile(join(path, 'cpu.idle'), '1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rmdir(path).catch(() => {});
      return `cannot make ${path} idle (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    }
    mode = 'weight';
    const written = await writeFile(join(path, parent.version === 1 ? 'cpu.shares' : 'cpu.weight'), parent.version === 1 ? '2' : '1').then(() => true, () => false);
    if (!written) {
      await rmdir(path).catch(() => {});
      return `cannot lower the CPU weight of ${path}`;
    }
  }
  return { path, mode, remove: () => removeCgroup(path) };
}

/** Moves process `pid` (all its threads) into the cgroup at `path`. Rejects with the errno (`ESRCH`: the process is gone). */
export async function joinCgroup(path: string, pid: number): Promise<void> {
  await writeFile(join(path, 'cgroup.procs'), String(pid));
}

/** The pids in the cgroup at `path` (empty when it is gone). */
export async function cgroupProcesses(path: string): Promise<number[]> {
  const text = await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** This process's cgroup directory in the hierarchy that has the `cpu` controller, or why there is none to use. */
async function ownCpuCgroup(): Promise<{ dir: string; version: 1 | 2 } | string> {
  const [cgroups, mounts] = await Promise.all([readFile('/proc/self/cgroup', 'utf8').catch(() => ''), readFile('/proc/self/mountinfo', 'utf8').catch(() => '')]);
  // mountinfo: "id parent major:minor root mount-point options [optional…] - fstype source super-options".
  const entries = mounts.split('\n').flatMap((line) => {
    const [before, after] = line.split(' - ');
    if (!before || !after) return [];
    const fields = before.split(' ');
    const [fstype, , superOptions = ''] = after.split(' ');
    return [{ root: fields[3] ?? '/', mountPoint: fields[4] ?? '', fstype, options: superOptions.split(',') }];
  });
  // "id:controllers:path", one line per hierarchy; cgroup v2's is "0::path".
  const lines = cgroups.split('\n').filter(Boolean).map((line) => {
    const [id, controllers = '', ...path] = line.split(':');
    return { id, controllers: controllers.split(','), path: path.join(':') };
  });
  const v1Line = lines.find((line) => line.controllers.includes('cpu'));
  const v1Mount = entries.find((entry) => entry.fstype === 'cgroup' && entry.options.includes('cpu'));
  if (v1Line && v1Mount) return { dir: join(v1Mount.mountPoint, relative(v1Mount.root, v1Line.path)), version: 1 };
  const v2Line = lines.find((line) => line.id === '0');
  const v2Mount = entries.find((entry) => entry.fstype === 'cgroup2');
  if (!v2Line || !v2Mount) return 'no cgroup hierarchy has the cpu controller';
  const dir = join(v2Mount.mountPoint, relative(v2Mount.root, v2Line.path));
  const delegated = (await readFile(join(dir, 'cgroup.subtree_control'), 'utf8').catch(() => '')).split(/\s+/);
  if (!delegated.includes('cpu')) return `the cpu controller is not enabled for the children of ${dir} (cgroup.subtree_control)`;
  return { dir, version: 2 };
}

/** Removes `<prefix>-<pid>` groups under `dir` whose process no longer exists (only empty groups can be removed). */
async function removeStale(parent: { dir: string }, prefix: string): Promise<void> {
  const names = await readdir(parent.dir).catch(() => [] as string[]);
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match || Number(match[1]) === process.pid) continue;
    // A zombie (a supervisor that ended and was not reaped yet) is gone too.
    if (!(await isRunning(Number(match[1])))) await rmdir(join(parent.dir, name)).catch(() => {});
  }
}

async function removeCgroup(path: string): Promise<boolean> {
  // Processes that were in it must have ended (a backend ends a moment after its connection closes).
  for (let attempt = 0; attempt < 30; attempt += 1) {
    try {
      await rmdir(path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}
