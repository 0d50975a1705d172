import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CpuSnapshot } from './snapshotProcessCpu.ts';

/** What `summarizeCpuProfiles.ts` needs besides the profiles: who each pid was, and when each phase ran. */
export interface ProfilePhases {
  roles: Record<number, string>;
  /** Monotonic µs, the clock V8 profiles use. */
  phases: Record<string, { fromUs: number; toUs: number }>;
}

/** Now, in monotonic µs (V8 CPU profiles' clock). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Writes `bench-phases.json` next to the `.cpuprofile` files. */
export async function writeProfilePhases(dir: string, snapshot: CpuSnapshot, phases: ProfilePhases['phases']): Promise<void> {
  const roles: ProfilePhases['roles'] = {};
  for (const [pid, { role }] of snapshot.processes) roles[pid] = role;
  await writeFile(join(dir, 'bench-phases.json'), `${JSON.stringify({ roles, phases } satisfies ProfilePhases, null, 2)}\n`);
}
