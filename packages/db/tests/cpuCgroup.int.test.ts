import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupProcesses, createIdleCgroup, joinCgroup } from '../src/index.ts';
import { readProcStat } from '../src/procStat.ts';

// Whether this machine lets the test make CPU cgroups (root with cgroup v1's cpu hierarchy or a v2
// directory delegating cpu, as on the project's CI machines) is the machine's: where it does not,
// the test checks that the reason is told and nothing is left behind.
describe('createIdleCgroup', () => {
  it('makes an idle CPU cgroup beside this process, takes processes in, and removes it once they have ended', async () => {
    const made = await createIdleCgroup('novacron-test-idle');
    if (typeof made === 'string') {
      expect(made).toMatch(/cgroup|cpu|Linux/);
      return;
    }
    expect(made.path).toMatch(new RegExp(`/novacron-test-idle-${process.pid}$`));
    if (made.mode === 'idle') expect((await readFile(join(made.path, 'cpu.idle'), 'utf8')).trim()).toBe('1');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await joinCgroup(made.path, child.pid!);
      expect(await cgroupProcesses(made.path)).toEqual([child.pid]);
      // The kernel names the group in the process's own view of its cgroups.
      expect(await readFile(`/proc/${child.pid}/cgroup`, 'utf8')).toContain(`/novacron-test-idle-${process.pid}`);
      expect(await cgroupProcesses(made.path)).not.toContain(process.pid);
    } finally {
      child.kill();
      await exited;
    }
    // A process gone: the pid cannot be moved (ESRCH), and the emptied group can be removed.
    await expect(joinCgroup(made.path, child.pid!)).rejects.toMatchObject({ code: 'ESRCH' });
    expect(await made.remove()).toBe(true);
    expect(existsSync(made.path)).toBe(false);
  });

  it("removes the groups of supervisors that are gone (or zombies), not those of live processes", async () => {
    const probe = await createIdleCgroup('novacron-test-stale');
    if (typeof probe === 'string') return expect(probe).toMatch(/cgroup|cpu|Linux/);
    const parent = dirname(probe.path);
    await probe.remove();
    // A zombie: the shell's background child ends, and the program the shell became never reaps it.
    const reaper = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const reaperExited = new Promise((resolve) => reaper.once('exit', resolve));
    const zombie = Number(await new Promise<string>((resolve) => reaper.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))));
    // pid 4194304 is above Linux's pid_max limit, so no process has it; pid 1 always exists.
    const stale = join(parent, 'novacron-test-stale-4194304');
    const dead = join(parent, `novacron-test-stale-${zombie}`);
    const live = join(parent, 'novacron-test-stale-1');
    try {
      for (let tries = 0; (await readProcStat(zombie))?.state !== 'Z'; tries += 1) {
        if (tries > 200) throw new Error(`process ${zombie} did not become a zombie`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await mkdir(stale);
      await mkdir(dead);
      await mkdir(live);
      const made = await createIdleCgroup('novacron-test-stale');
      if (typeof made === 'string') throw new Error(made);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(await made.remove()).toBe(true);
    } finally {
      reaper.kill();
      await reaperExited;
      for (const dir of [stale, dead, live]) if (existsSync(dir)) await rmdir(dir);
    }
  });
});
