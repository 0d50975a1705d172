import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { envPrefix, readSubgraphManifest } from '@novacron/subgraph-kit/manifest';
import { CreateVmDocument, createNovaCronClient, ProvidersDocument } from '@novacron/sdk';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import { cgroupProcesses, createIdleCgroup } from '@novacron/db';
import { createVmInput } from '../src/index.ts';
import { childPidsOf, createTestDatabase, freePort, freePortRange, scrapeMetrics, waitFor, type TestDatabase } from '@novacron/testing';

const startScript = fileURLToPath(new URL('../../scripts/start.ts', import.meta.url));

/** The pid of the child of `parent` whose command line contains `entry` (Linux /proc). */
async function childProcessRunning(parent: number, entry: string): Promise<number> {
  for (const pid of childPidsOf(parent)) {
    if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(entry)) return pid;
  }
  throw new Error(`no child of ${parent} runs ${entry}`);
}
/**
 * The environment that puts npm start's platform on ports of its own (a fixed default port may be
 * taken on a shared machine): every subgraph of the manifest, the gateway, and the metrics ports,
 * one per process (the subgraphs, the worker and the gateway).
 */
async function platformEnv(gatewayPort: number, targetsFile: string): Promise<{ env: Record<string, string>; subgraphPorts: Record<string, number> }> {
  const subgraphNames = readSubgraphManifest().subgraphs.map((entry) => entry.name);
  const subgraphPorts: Record<string, number> = {};
  const env: Record<string, string> = {
    GATEWAY_PORT: String(gatewayPort),
    METRICS_BASE_PORT: String(await freePortRange(subgraphNames.length + 2)),
    PROMETHEUS_TARGETS_FILE: targetsFile,
  };
  for (const name of subgraphNames) {
    const port = await freePort();
    subgraphPorts[name] = port;
    env[`${envPrefix(name)}_PORT`] = String(port);
    env[`${envPrefix(name)}_URL`] = `http://127.0.0.1:${port}/graphql`;
  }
  return { env, subgraphPorts };
}

/** A running `npm start` (scripts/start.ts) of a test: what it printed so far, and its exit code once it exits. */
interface NpmStart {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs `npm start` with `env` over this process's environment and collects what it prints. A failure
 * of the test is often a platform process that exited, so the test prints npm start's output then.
 */
function spawnNpmStart(env: Record<string, string>): NpmStart {
  const child = spawn(process.execPath, [startScript], { env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  onTestFailed(() => {
    process.stderr.write(`npm start printed:\n${output}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Waits until a `npm start` calls itself ready. Whatever fails after, the platform it runs must not
 * outlive the test (its processes would hold connections and transactions on the shared test
 * PostgreSQL and slow every later test): the cleanups stop it.
 */
async function untilReady({ child, output, exited }: NpmStart): Promise<void> {
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  });
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output().includes('ready: GraphQL endpoint')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`npm start exited early (${code}):\n${output()}`)));
  });
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await database?.drop();
});

describe('npm start', () => {
  it('starts subgraph, worker and gateway, prints the endpoint, and stops them all on Ctrl-C', async () => {
    const gatewayPort = await freePort();
    const subgraphNames = readSubgraphManifest().subgraphs.map((entry) => entry.name);
    const keysDir = await mkdtemp(join(tmpdir(), 'novacron-keys-'));
    await chmod(keysDir, 0o700);
    const platform = await platformEnv(gatewayPort, join(keysDir, 'prometheus-targets.json'));
    const vmsPort = platform.subgraphPorts.vms;
    const run = spawnNpmStart({ ...platform.env, NOVACRON_KEYS_DIR: keysDir });
    const { child, output, exited } = run;
    await untilReady(run);
    expect(output()).toContain(`http://localhost:${gatewayPort}/graphql`);
    // The web dashboard is served on the same port (built on first start when web/dist is missing).
    const dashboard = await fetch(`http://127.0.0.1:${gatewayPort}/`);
    expect(dashboard.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await dashboard.text()).toContain('<div id="root">');

    // npm start made the development keys; a token signed with them is accepted (as `npm run token` prints).
    const token = await signDevelopmentToken({ keys: await ensureDevelopmentKeys(keysDir), tenant: 'default', roles: ['viewer'] });
    const client = createNovaCronClient({ url: `http://127.0.0.1:${gatewayPort}/graphql`, headers: { authorization: `Bearer ${token}` } });
    const { providers } = await client.request(ProvidersDocument);
    expect(providers.length).toBe(3);
    const anonymous = await createNovaCronClient({ url: `http://127.0.0.1:${gatewayPort}/graphql` }).execute(ProvidersDocument, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.status).toBe(401);

    // Every process is listed for Prometheus (file_sd) and answers on its metrics endpoint.
    expect(output()).toContain(`Prometheus targets (file_sd) of every process: ${join(keysDir, 'prometheus-targets.json')}`);
    const groups = JSON.parse(await readFile(join(keysDir, 'prometheus-targets.json'), 'utf8')) as { targets: string[]; labels: { job: string; service: string } }[];
    expect(groups.map((group) => group.labels.service).sort()).toEqual([...subgraphNames, 'gateway', 'vms-worker-1'].sort());
    for (const group of groups) {
      // Workers start beside the gateway, not before it: wait for each to answer.
      const healthy = await waitFor(async () => (await scrapeMetrics(`http://${group.targets[0]}/metrics`)).sum('novacron_system_health_score') > 0, { description: `${group.labels.service} metrics` });
      expect(healthy).toBe(true);
    }

    // The operation worker runs at a lower CPU priority (WORKER_NICE, default 10), every thread of it,
    // and so do its Postgres backends, the database being on this machine; the gateway does not.
    const workerPid = await childProcessRunning(child.pid ?? 0, 'workerMain.ts');
    const gatewayPid = await childProcessRunning(child.pid ?? 0, 'gateway/src/index.ts');
    const threads = await readdir(`/proc/${workerPid}/task`);
    expect(threads.length).toBeGreaterThan(1);
    for (const thread of threads) expect(getPriority(Number(thread))).toBe(10);
    expect(getPriority(gatewayPid)).toBe(getPriority(child.pid ?? 0));
    const workerBackends = async () =>
      database.sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and application_name in ('novacron-vms-worker', 'novacron-vms-jobs')`;
    await waitFor(async () => {
      const pids = (await workerBackends()).map((row) => row.pid);
      return pids.length > 0 && pids.every((pid) => getPriority(pid) === 10);
    }, { description: "the worker's backends at nice 10" });
    // So do the subgraphs' background pools (BACKGROUND_NICE, default 10: followers, collection), not their request pools.
    const backgrounds = async () =>
      database.sql<{ pid: number; name: string }[]>`select pid, application_name as name from pg_stat_activity where datname = current_database() and application_name like 'novacron-%'`;
    await waitFor(async () => {
      const rows = await backgrounds();
      const lowered = rows.filter((row) => row.name.endsWith('-background'));
      return ['billing', 'metrics', 'placement'].every((name) => lowered.some((row) => row.name === `novacron-${name}-background`)) && lowered.every((row) => getPriority(row.pid) === 10);
    }, { description: "the subgraphs' background backends at nice 10" });
    const [own] = await database.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    for (const row of await backgrounds()) if (['novacron-billing', 'novacron-metrics', 'novacron-placement', 'novacron-vms'].includes(row.name)) expect(getPriority(row.pid)).toBe(getPriority(own!.pid));

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const name of ['gateway stopped', 'worker-1 stopped', 'vms stopped']) expect(output()).toContain(name);
    await expect(fetch(`http://127.0.0.1:${gatewayPort}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${vmsPort}/health`)).rejects.toThrow();
    await rm(keysDir, { recursive: true, force: true });
  });

  it('with BACKGROUND_PROCESSES=1 and BACKGROUND_CGROUP, runs the background work in processes of its own, lowered and in the CPU cgroup', async () => {
    const gatewayPort = await freePort();
    const keysDir = await mkdtemp(join(tmpdir(), 'novacron-keys-'));
    await chmod(keysDir, 0o700);
    const platform = await platformEnv(gatewayPort, join(keysDir, 'prometheus-targets.json'));
    // A group the test makes, at the normal weight (cpu.idle back to 0): in an idle group the background
    // processes would start only on CPU time the rest of a busy CI run leaves, and this test would time
    // the machine's load. BACKGROUND_CGROUP=auto's group and its removal are checked in the next test.
    const group = await createIdleCgroup('novacron-e2e-background');
    if (typeof group !== 'string' && group.mode === 'idle') await writeFile(join(group.path, 'cpu.idle'), '0');
    if (typeof group !== 'string') cleanups.push(async () => void (await group.remove()));
    const run = spawnNpmStart({ ...platform.env, NOVACRON_KEYS_DIR: keysDir, BACKGROUND_PROCESSES: '1', ...(typeof group === 'string' ? {} : { BACKGROUND_CGROUP: group.path }) });
    await untilReady(run);
    const supervisor = run.child.pid ?? 0;
    // placement, metrics and billing each run as a request process and a background process (SUBGRAPH_ROLE).
    const roleOf = async (pid: number) => (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').find((entry) => entry.startsWith('SUBGRAPH_ROLE='));
    const processes: { name: string; pid: number; role: string | undefined }[] = [];
    for (const pid of childPidsOf(supervisor)) {
      const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const name = /subgraphs\/(\w+)\/src\/index\.ts/.exec(command)?.[1];
      if (name) processes.push({ name, pid, role: await roleOf(pid) });
    }
    const backgroundProcesses = processes.filter((entry) => entry.role === 'SUBGRAPH_ROLE=background');
    expect(backgroundProcesses.map((entry) => entry.name).sort()).toEqual(['billing', 'metrics', 'placement']);
    expect(processes.filter((entry) => entry.role === 'SUBGRAPH_ROLE=requests').map((entry) => entry.name).sort()).toEqual(['billing', 'metrics', 'placement']);
    // Each background process gives way as a whole (BACKGROUND_NICE, default 10), every thread; the request processes do not.
    // The supervisor does not wait for background processes to be ready: each lowers itself as it starts.
    await waitFor(async () => {
      for (const entry of backgroundProcesses) for (const thread of await readdir(`/proc/${entry.pid}/task`)) if (getPriority(Number(thread)) !== 10) return false;
      return true;
    }, { description: 'every thread of the background processes at nice 10' });
    for (const entry of processes.filter((candidate) => candidate.role !== 'SUBGRAPH_ROLE=background')) expect(getPriority(entry.pid)).toBe(getPriority(supervisor));

    // The followers now run only in the background processes, and still project a VM created through the gateway.
    const token = await signDevelopmentToken({ keys: await ensureDevelopmentKeys(keysDir), tenant: 'default', roles: ['admin'] });
    const client = createNovaCronClient({ url: `http://127.0.0.1:${gatewayPort}/graphql`, headers: { authorization: `Bearer ${token}` } });
    const { createVM } = await client.request(CreateVmDocument, { input: createVmInput() });
    const vmId = createVM.vm?.id ?? '';
    expect(vmId).not.toBe('');
    await waitFor(async () => {
      const [row] = await database.sql<{ billing: boolean; placement: boolean; metrics: boolean }[]>`
        select exists (select 1 from billing.vms where vm_id = ${vmId}) as billing,
               exists (select 1 from placement.vm_usage where vm_id = ${vmId}) as placement,
               exists (select 1 from metrics.vms where vm_id = ${vmId}) as metrics`;
      return row?.billing === true && row.placement && row.metrics;
    }, { description: 'the VM projected by the three background processes' });
    if (typeof group === 'string') {
      // This machine lets no one make CPU cgroups (not root, no delegated cgroup v2); cpuCgroup.int.test.ts checks the reason.
      expect(group).toMatch(/cgroup|cpu|Linux/);
    } else {
      const cgroup = group.path;
      const workerPid = await childProcessRunning(supervisor, 'workerMain.ts');
      const gatewayPid = await childProcessRunning(supervisor, 'gateway/src/index.ts');
      const backends = async () =>
        database.sql<{ pid: number; name: string }[]>`select pid, application_name as name from pg_stat_activity where datname = current_database() and application_name like 'novacron-%'`;
      const inBackground = (name: string) => name.endsWith('-background') || name === 'novacron-vms-worker' || name === 'novacron-vms-jobs';
      await waitFor(async () => {
        const [inside, rows] = [await cgroupProcesses(cgroup), await backends()];
        const background = rows.filter((row) => inBackground(row.name));
        return (
          [workerPid, ...backgroundProcesses.map((entry) => entry.pid)].every((pid) => inside.includes(pid)) &&
          ['billing', 'metrics', 'placement'].every((name) => background.some((row) => row.name === `novacron-${name}-background`)) &&
          background.every((row) => inside.includes(row.pid))
        );
      }, { description: 'the worker, the background processes and their backends in the cgroup' });
      // The request paths stay out: the gateway, the subgraphs' request processes and their pools' backends.
      const inside = await cgroupProcesses(cgroup);
      expect(inside).not.toContain(gatewayPid);
      for (const entry of processes.filter((candidate) => candidate.role !== 'SUBGRAPH_ROLE=background')) expect(inside).not.toContain(entry.pid);
      const requestBackends = (await backends()).filter((row) => !inBackground(row.name));
      expect(requestBackends.length).toBeGreaterThan(0);
      for (const row of requestBackends) expect(inside).not.toContain(row.pid);
    }
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    if (typeof group !== 'string') {
      // Every process in it has ended (backends with their connections): the group can go.
      expect(await group.remove()).toBe(true);
      expect(existsSync(group.path)).toBe(false);
    }
    await rm(keysDir, { recursive: true, force: true });
  });

  it('refuses a BACKGROUND_PROCESSES it does not know before it starts anything', async () => {
    const platform = await platformEnv(await freePort(), join(tmpdir(), `novacron-unused-targets-${process.pid}.json`));
    const { output, exited } = spawnNpmStart({ ...platform.env, BACKGROUND_PROCESSES: 'yes', BACKGROUND_CGROUP: 'auto' });
    expect(await exited).toBe(1);
    expect(output()).toContain('failed to start: BACKGROUND_PROCESSES must be 0 or 1, got "yes"');
    // Nothing was made or started: no cgroup, no subgraph.
    expect(output()).not.toContain('background CPU cgroup');
    for (const port of Object.values(platform.subgraphPorts)) await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('exits 1 without calling itself ready when a process dies while it starts', async () => {
    // The gateway's port is held by something else: the gateway exits at start (EADDRINUSE), while
    // npm start waits for it to be ready and the shutdown stops the subgraphs and the worker.
    const gatewayPort = await freePort();
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(gatewayPort, '127.0.0.1', resolve));
    const platform = await platformEnv(gatewayPort, join(tmpdir(), `novacron-unused-targets-${process.pid}.json`));
    // BACKGROUND_CGROUP=auto: the group npm start makes goes with it, on a failed start too (no process
    // joins it here: the worker runs at WORKER_NICE=0 and no background process is started).
    const { output, exited } = spawnNpmStart({ ...platform.env, WORKER_NICE: '0', BACKGROUND_CGROUP: 'auto' });
    const code = await exited;
    squatter.close();
    expect(code).toBe(1);
    const made = /background CPU cgroup: (\S+) \(/.exec(output());
    if (made) expect(existsSync(made[1]!)).toBe(false);
    else expect(output()).toMatch(/BACKGROUND_CGROUP=auto: .+; background work runs at the lower nice values alone/);
    expect(output()).toContain('gateway exited unexpectedly');
    // Before, the start sequence went on once the shutdown had begun, and printed "ready" for a
    // platform that was going away (a test then found nothing listening on the port it announced).
    expect(output()).not.toContain('ready: GraphQL endpoint');
    expect(output()).toContain('vms stopped');
    for (const port of Object.values(platform.subgraphPorts)) await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});
