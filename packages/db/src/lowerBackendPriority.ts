import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setPriority } from 'node:os';
import { joinCgroup } from './cpuCgroup.ts';
import type { Sql } from './createSql.ts';
import { readProcStat } from './procStat.ts';

/** Options for {@link lowerBackendPriority}. */
export interface BackendPriorityOptions {
  /** Looks up the backends (one short query per scan); any pool of the process will do. */
  sql: Sql;
  /** `application_name`s of the backends to lower (a process's pools), in the database `sql` is connected to. */
  applicationNames: readonly string[];
  /** The nice value to give them, 1–19. */
  nice: number;
  /** How often to look for new backends (pools open connections as they need them). Default 2 s. */
  intervalMs?: number;
  /** Told once, with the reason, when the backends cannot be reached: then it stops looking. */
  onUnavailable?(reason: string): void;
  /** Told once, with the reason, when the backends' autogroups cannot be changed: their nice values still are. */
  onGroupsUnavailable?(reason: string): void;
  /**
   * A CPU cgroup directory to move the backends into (`BACKGROUND_CGROUP`, made by createIdleCgroup):
   * there they run only on CPU time nothing else wants, all together, which no nice value can give a
   * process that is a scheduling group of its own. Their nice values are lowered as well; autogroups
   * do not apply inside a cgroup.
   */
  cgroup?: string;
  /** Told once, with the reason, when the backends cannot be moved into `cgroup`: their nice values and autogroups are lowered instead. */
  onCgroupUnavailable?(reason: string): void;
}

/** A running {@link lowerBackendPriority}. */
export interface BackendPriority {
  /** Resolves after the first scan: true when the database is on this machine and the backends can be lowered. */
  ready: Promise<boolean>;
  /** Looks for new backends now (tests; the timer does it otherwise). */
  scan(): Promise<void>;
  /** How many backends it has lowered so far. */
  lowered(): number;
  /** How many of those it also gave a lower autogroup priority (Linux's session groups; see {@link lowerBackendPriority}). */
  loweredGroups(): number;
  /** How many of those it moved into the `cgroup` option's group. */
  inCgroup(): number;
  stop(): void;
}

/**
 * Gives a process's Postgres backends a lower CPU priority (a higher nice value) when Postgres runs
 * on the same machine, as it does with the embedded default. A backend does its client's work: the
 * operation workers' backends run the execution side, which has seconds of slack, and on a machine
 * they share with the accept path (gateway, vms subgraph and its backends) they should give way to
 * it, as the worker process itself does (docs/architecture.md, "CPU priority of execution").
 *
 * Only backends proven to belong to this machine's postmaster are touched: the database's
 * `data_directory` must hold a `postmaster.pid` naming the same port as the server answering, the
 * backend answering must be a child of the postmaster that file names, and each backend's parent
 * process must be that postmaster. A remote database, a
 * container's own process namespace, a non-Linux host or a role that may not read `data_directory`
 * makes it stop at once and say why; nothing else changes. Lowering the priority of another user's
 * processes needs the same user (the embedded Postgres when not root) or root.
 *
 * Where Linux groups processes by session for scheduling (autogroup, `kernel.sched_autogroup_enabled`,
 * on by default in Debian's and Ubuntu's kernels when the processes are not in a CPU cgroup of their
 * own), a nice value alone does nothing for a backend: every backend starts a session of its own
 * (Postgres calls `setsid`), so it is the only process of its group, and groups share the CPU by the
 * group's priority, not by the nice values inside it. Each lowered backend's group is therefore given
 * the same nice value (`/proc/<pid>/autogroup`), but only when that group is the backend's alone: not
 * this process's group and not the postmaster's (docs/architecture.md, "CPU priority of execution").
 */
export function lowerBackendPriority(options: BackendPriorityOptions): BackendPriority {
  const intervalMs = options.intervalMs ?? 2_000;
  if (!Number.isInteger(options.nice) || options.nice < 1 || options.nice > 19) throw new RangeError(`nice must be an integer from 1 to 19, got ${options.nice}`);
  const done = new Set<number>();
  let lowered = 0;
  let loweredGroups = 0;
  let inCgroup = 0;
  /** The cgroup to move backends into, until moving one fails for a reason other than its end. */
  let cgroup = options.cgroup;
  /** Whether backends' autogroups are lowered too: null until the first scan looks, false once it cannot. */
  let groups: { own: number | null; postmaster: number | null } | false | null = null;
  let stopped = false;
  /** The pid of the postmaster proven to be this machine's; null until proven (again, after a restart). */
  let postmaster: number | null = null;
  let scanning: Promise<void> | null = null;

  const giveUp = (reason: string) => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    options.onUnavailable?.(reason);
  };

  /** The postmaster's pid, or why it cannot be proven to be on this machine. */
  const findPostmaster = async (): Promise<number | string> => {
    if (process.platform !== 'linux') return `process priorities are only adjusted on Linux (this is ${process.platform})`;
    let setting: { dir: string; port: number; backend: number } | undefined;
    try {
      [setting] = await options.sql<{ dir: string; port: number; backend: number }[]>`
        select current_setting('data_directory') as dir, current_setting('port')::int as port, pg_backend_pid() as backend`;
    } catch (error) {
      return `cannot read the server's data_directory (${error instanceof Error ? error.message : String(error)})`;
    }
    if (!setting) return 'the server did not answer';
    // postmaster.pid: pid, data directory, start time (epoch s), port, ... (one per line). Its start
    // time is not compared with pg_postmaster_start_time(): the two are taken at different moments of
    // the postmaster's start, more than a second apart on a loaded machine (a restart in the full test
    // run). The backend answering being the named postmaster's child proves the same, exactly.
    const lines = await readFile(join(setting.dir, 'postmaster.pid'), 'utf8').then((text) => text.split('\n'), () => null);
    if (!lines) return `the database is not on this machine (no readable ${join(setting.dir, 'postmaster.pid')})`;
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || Number(lines[3]) !== setting.port) {
      return `the database is not on this machine (${join(setting.dir, 'postmaster.pid')} names another server)`;
    }
    if ((await readProcStat(pid)) === null) return `the postmaster (pid ${pid}) is not visible from this process`;
    if ((await parentOf(setting.backend)) !== pid) return `the database is not on this machine (the backend answering, pid ${setting.backend}, is not a child of postmaster ${pid} here)`;
    return pid;
  };

  const parentOf = async (pid: number): Promise<number | null> => (await readProcStat(pid))?.ppid ?? null;

  /**
   * Gives a backend's autogroup the nice value when the group is the backend's own. True when done or
   * not needed; false when the kernel asked to wait (an unprivileged writer may change one group every
   * 100 ms): the next scan tries again.
   */
  const lowerGroup = async (pid: number): Promise<boolean> => {
    if (!groups) return true;
    const group = await readAutogroup(pid);
    if (!group || group.id === groups.own || group.id === groups.postmaster || group.nice >= options.nice) return true;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await writeFile(`/proc/${pid}/autogroup`, String(options.nice));
        loweredGroups += 1;
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ESRCH') return true; // the backend ended meanwhile
        if (code !== 'EAGAIN') {
          groups = false;
          options.onGroupsUnavailable?.(`cannot change the autogroup priority of the backends (${code ?? String(error)})`);
          return true;
        }
        if (attempt === 2) return false;
        await new Promise((resolve) => setTimeout(resolve, 110));
      }
    }
  };

  /** Moves a backend into the `cgroup` option's group; false when there is none or it cannot (then its autogroup is lowered). */
  const joinGroup = async (pid: number): Promise<boolean> => {
    if (!cgroup) return false;
    try {
      await joinCgroup(cgroup, pid);
      inCgroup += 1;
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') return true; // the backend ended meanwhile
      options.onCgroupUnavailable?.(`cannot move the backends into ${cgroup} (${code ?? String(error)})`);
      cgroup = undefined;
      return false;
    }
  };

  const scanOnce = async () => {
    if (postmaster === null) {
      const found = await findPostmaster();
      if (typeof found === 'string') return giveUp(found);
      postmaster = found;
      // Looked up with each (re-)proven postmaster: a restarted one may run in another session.
      if (groups !== false) groups = (await autogroupsEnabled()) ? { own: (await readAutogroup('self'))?.id ?? null, postmaster: (await readAutogroup(found))?.id ?? null } : false;
    }
    const rows = await options.sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where backend_type = 'client backend' and datname = current_database() and application_name = any(${options.applicationNames as string[]})`;
    const seen = new Set(rows.map((row) => row.pid));
    for (const pid of done) if (!seen.has(pid)) done.delete(pid);
    for (const pid of seen) {
      if (done.has(pid) || stopped) continue;
      if ((await parentOf(pid)) !== postmaster) {
        // Postgres restarted (a new postmaster) or the pid is gone: prove locality again next scan.
        postmaster = null;
        return;
      }
      try {
        setPriority(pid, options.nice);
        if (!(await joinGroup(pid)) && !(await lowerGroup(pid))) continue;
        done.add(pid);
        lowered += 1;
      } catch (error) {
        // os.setPriority throws ERR_SYSTEM_ERROR with the errno's name in `info.code`.
        const code = (error as { info?: { code?: string } }).info?.code ?? (error as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') continue; // the backend ended meanwhile
        return giveUp(`cannot change the priority of the backends (${code ?? String(error)}): they run as another user`);
      }
    }
  };

  const scan = () => {
    scanning ??= scanOnce()
      // A failed lookup (database restarting) is tried again at the next interval.
      .catch(() => {})
      .finally(() => {
        scanning = null;
      });
    return scanning;
  };

  const timer = setInterval(() => void scan(), intervalMs);
  timer.unref();
  const ready = scan().then(() => postmaster !== null && !stopped);
  return {
    ready,
    scan,
    lowered: () => lowered,
    loweredGroups: () => loweredGroups,
    inCgroup: () => inCgroup,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Whether the kernel schedules by autogroup (Linux with `CONFIG_SCHED_AUTOGROUP`, switched on). */
export async function autogroupsEnabled(): Promise<boolean> {
  return (await readFile('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').catch(() => '0')).trim() === '1';
}

/**
 * A process's autogroup and the group's nice value (`/autogroup-<id> nice <n>`), or null when it has
 * none to read: no such process, no autogroup support, or a process in the root group. The kernel
 * prints nothing for the root group, where PID 1 and every descendant that never started a session
 * of its own (a container's or CI runner's process tree) stay; that group's priority cannot be set.
 */
export async function readAutogroup(pid: number | 'self'): Promise<{ id: number; nice: number } | null> {
  const text = await readFile(`/proc/${pid}/autogroup`, 'utf8').catch(() => null);
  const match = text?.match(/^\/autogroup-(\d+) nice (-?\d+)/);
  return match ? { id: Number(match[1]), nice: Number(match[2]) } : null;
}
