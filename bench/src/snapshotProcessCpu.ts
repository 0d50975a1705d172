import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** CPU seconds used so far by each process of the bench's tree, plus the whole machine's counters. */
export interface CpuSnapshot {
  at: number;
  /** Per pid: a role label and CPU seconds (user + system) used so far. */
  processes: Map<number, { role: string; cpuSeconds: number; systemSeconds: number; rssMb: number }>;
  machineBusySeconds: number;
  /** System + irq + softirq time of all cores. */
  machineKernelSeconds: number;
  /** Time the hypervisor ran something else while a core wanted to run (VMs only). */
  machineStealSeconds: number;
  machineTotalSeconds: number;
}

/** CPU used by one role (a process or a group, e.g. all Postgres backends of one client) between two snapshots. */
export interface RoleCpu {
  role: string;
  cpuSeconds: number;
  /** The part of `cpuSeconds` spent in the kernel (system calls: sockets, …). */
  systemSeconds: number;
  /** Average over the interval, in % of one core (200 % = two cores busy). */
  percentOfCore: number;
  /** Resident memory at the later snapshot, summed over the role's processes. */
  rssMb: number;
}

/** CPU use between two snapshots, by role, and for the machine as a whole. */
export interface CpuInterval {
  seconds: number;
  roles: RoleCpu[];
  /** All cores' busy time, in % of one core. */
  machinePercentOfCore: number;
  /** Busy time not spent in the bench's process tree (other work on the machine), in % of one core. */
  otherPercentOfCore: number;
  /** Kernel time of all cores, in % of one core. */
  machineKernelPercentOfCore: number;
  /** Steal time (a VM's cores taken by the hypervisor), in % of one core. */
  machineStealPercentOfCore: number;
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const pageMb = 4096 / 1024 / 1024;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuSeconds: number;
  systemSeconds: number;
  rssMb: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses; the fields after it start past the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
      systemSeconds: Number(fields[12]) / ticksPerSecond,
      rssMb: Number(fields[21]) * pageMb,
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) one process has used so far; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  return readProcStat(pid)?.cpuSeconds ?? 0;
}

function readCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Whether a subgraph process runs its background work only (`SUBGRAPH_ROLE=background`, npm start's BACKGROUND_PROCESSES=1). */
function isBackgroundProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('SUBGRAPH_ROLE=background');
  } catch {
    return false;
  }
}

/** Names a platform process after what it runs, so readers see "gateway", not a pid. */
function roleOf(stat: ProcStat, rootPid: number, postgresRoles: ReadonlyMap<number, string>): string {
  if (stat.pid === rootPid) return 'bench (load generator)';
  const postgresRole = postgresRoles.get(stat.pid);
  if (postgresRole) return postgresRole;
  if (stat.comm.startsWith('postgres')) return 'postgres (server processes)';
  const command = readCommandLine(stat.pid);
  if (command.includes('gateway/src/index.ts')) return 'gateway';
  if (command.includes('subgraphs/vms/src/index.ts')) return 'vms subgraph';
  if (command.includes('workerMain.ts')) return 'worker';
  // createVM calls placement (quota) and billing (budget) synchronously: their share is part of accepting one.
  for (const subgraph of ['placement', 'billing', 'metrics']) {
    if (command.includes(`subgraphs/${subgraph}/src/index.ts`)) return isBackgroundProcess(stat.pid) ? `${subgraph} background process` : `${subgraph} subgraph`;
  }
  if (command.includes('scripts/start.ts')) return 'supervisor';
  return stat.comm;
}

function readMachineSeconds(): { busy: number; kernel: number; steal: number; total: number } {
  const [line = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
  // cpu  user nice system idle iowait irq softirq steal …
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (index: number) => ticks[index] ?? 0;
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = at(3) + at(4);
  return { busy: (total - idle) / ticksPerSecond, kernel: (at(2) + at(5) + at(6)) / ticksPerSecond, steal: at(7) / ticksPerSecond, total: total / ticksPerSecond };
}

/**
 * Reads `/proc` for the bench process and all its descendants (supervisor, gateway, subgraph,
 * workers, Postgres). `postgresRoles` maps backend pids to a label, e.g. by `application_name`, so
 * database CPU can be charged to the client that caused it. Linux only; elsewhere it is empty.
 */
export function snapshotProcessCpu(postgresRoles: ReadonlyMap<number, string> = new Map()): CpuSnapshot {
  const at = performance.now();
  const rootPid = process.pid;
  const processes: CpuSnapshot['processes'] = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return { at, processes, machineBusySeconds: 0, machineKernelSeconds: 0, machineStealSeconds: 0, machineTotalSeconds: 0 };
  }
  const stats = new Map<number, ProcStat>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) stats.set(stat.pid, stat);
  }
  const isDescendant = (pid: number): boolean => {
    for (let current = stats.get(pid), hops = 0; current && hops < 32; current = stats.get(current.ppid), hops += 1) {
      if (current.pid === rootPid) return true;
    }
    return false;
  };
  for (const stat of stats.values()) {
    if (!isDescendant(stat.pid)) continue;
    processes.set(stat.pid, { role: roleOf(stat, rootPid, postgresRoles), cpuSeconds: stat.cpuSeconds, systemSeconds: stat.systemSeconds, rssMb: stat.rssMb });
  }
  const machine = readMachineSeconds();
  return {
    at,
    processes,
    machineBusySeconds: machine.busy,
    machineKernelSeconds: machine.kernel,
    machineStealSeconds: machine.steal,
    machineTotalSeconds: machine.total,
  };
}

/** CPU per role between two snapshots; processes that started in between count from zero. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuInterval {
  const seconds = (after.at - before.at) / 1000;
  const byRole = new Map<string, { cpuSeconds: number; systemSeconds: number; rssMb: number }>();
  let treeSeconds = 0;
  for (const [pid, sample] of after.processes) {
    const earlier = before.processes.get(pid);
    const used = sample.cpuSeconds - (earlier?.cpuSeconds ?? 0);
    treeSeconds += used;
    const role = byRole.get(sample.role) ?? { cpuSeconds: 0, systemSeconds: 0, rssMb: 0 };
    role.cpuSeconds += used;
    role.systemSeconds += sample.systemSeconds - (earlier?.systemSeconds ?? 0);
    role.rssMb += sample.rssMb;
    byRole.set(sample.role, role);
  }
  const roles = [...byRole]
    .map(([role, { cpuSeconds, systemSeconds, rssMb }]) => ({ role, cpuSeconds, systemSeconds, percentOfCore: seconds > 0 ? (cpuSeconds / seconds) * 100 : 0, rssMb }))
    .filter((role) => role.cpuSeconds > 0.005 || role.role.startsWith('bench'))
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  const machineBusy = after.machineBusySeconds - before.machineBusySeconds;
  const percent = (value: number) => (seconds > 0 ? (value / seconds) * 100 : 0);
  return {
    seconds,
    roles,
    machinePercentOfCore: percent(machineBusy),
    otherPercentOfCore: percent(Math.max(0, machineBusy - treeSeconds)),
    machineKernelPercentOfCore: percent(after.machineKernelSeconds - before.machineKernelSeconds),
    machineStealPercentOfCore: percent(after.machineStealSeconds - before.machineStealSeconds),
  };
}
