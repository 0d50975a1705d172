import { readFile } from 'node:fs/promises';

/** The parts of a V8 `.cpuprofile` (as written by `node --cpu-prof`) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  /** Microseconds on the same monotonic clock as `process.hrtime()`. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function or one package, in ms. */
export interface ProfileEntry {
  name: string;
  selfMs: number;
}

/** Where one process spent its CPU in a time window. */
export interface ProfileSummary {
  /** Sampled time in the window, idle excluded. */
  busyMs: number;
  /** Of `busyMs`, samples inside native socket writes; see {@link socketWrite}. */
  socketWriteMs: number;
  idleMs: number;
  byPackage: ProfileEntry[];
  byFunction: ProfileEntry[];
}

/**
 * V8 samples wall time, not CPU time. On a saturated machine a process that writes to a local
 * socket often loses its core right there (the kernel runs the woken peer, e.g. a Postgres
 * backend), and all the time it waits to run again is charged to the write. Those samples are
 * grouped apart so the rest shows where CPU really goes.
 */
export const socketWrite = '(socket write, incl. time descheduled)';
const nativeWrites = new Set(['writeBuffer', 'writev', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

/** Groups a script URL into what a reader would blame: an npm package, a workspace folder, or Node itself. */
export function packageOf(url: string, functionName: string): string {
  if (url === '' && nativeWrites.has(functionName)) return socketWrite;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scopeOrName = '', name = ''] = path.slice(modules + '/node_modules/'.length).split('/');
    return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName;
  }
  const workspace = /\/(subgraphs\/[^/]+|packages\/[^/]+|gateway|scripts|bench|sdk)\//.exec(path);
  return workspace ? workspace[1]! : path;
}

/**
 * Self time per package and per function of one CPU profile, counting only samples taken between
 * `fromUs` and `toUs` (monotonic µs, `process.hrtime.bigint() / 1000n`), so start-up is left out.
 */
export async function summarizeCpuProfile(file: string, window: { fromUs: number; toUs: number } = { fromUs: 0, toUs: Infinity }): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (time < window.fromUs || time > window.toUs) continue;
    const node = nodeById.get(profile.samples[index]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    busyUs += delta;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
    const where = pkg === socketWrite ? socketWrite : url ? `${pkg}:${url.split('/').pop()}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  }
  const sorted = (map: Map<string, number>) => [...map].map(([name, us]) => ({ name, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs);
  return {
    busyMs: busyUs / 1000,
    socketWriteMs: (byPackage.get(socketWrite) ?? 0) / 1000,
    idleMs: idleUs / 1000,
    byPackage: sorted(byPackage),
    byFunction: sorted(byFunction),
  };
}
