import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVmInput, startPlatform, type Platform } from '@novacron/e2e';
import { injectFault } from '@novacron/providers';

const binary = fileURLToPath(new URL('../bin/novacron.ts', import.meta.url));
let platform: Platform;
let configDir: string;

/** Runs the real `novacron` binary as a child process, like a shell would (stdout is a pipe: no TTY). */
function novacron(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binary, ...args], {
      env: { ...process.env, NOVACRON_CONFIG_DIR: configDir, NOVACRON_URL: platform?.gateway.url, NOVACRON_TOKEN: platform?.token, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'novacron-cli-'));
  platform = await startPlatform({ simLatencyMs: '20-40' });
});
afterAll(async () => {
  await platform?.stop();
  await rm(configDir, { recursive: true, force: true });
});

describe('novacron CLI against a running platform', () => {
  it('creates a VM with --wait --json and ends SUCCEEDED with the VM RUNNING (exit 0)', async () => {
    const input = createVmInput();
    const result = await novacron(['vm', 'create', '--name', input.name, '--provider', input.provider, '--region', input.region, '--type', input.instanceType, '--label', 'team=cli', '--wait', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const operation = JSON.parse(result.stdout) as { status: string; kind: string; vm: { status: string; name: string; labels: Record<string, string> } };
    expect(operation).toMatchObject({ kind: 'CREATE', status: 'SUCCEEDED', vm: { status: 'RUNNING', name: input.name, labels: { team: 'cli' } } });
  });

  it('exits non-zero with the error code when the operation FAILS', async () => {
    // The simulated cloud's permanent create fault is a capacity refusal; the operation carries the driver's code.
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, region: 'ap-south-1' });
    const input = createVmInput({ region: 'ap-south-1' });
    const result = await novacron(['vm', 'create', '--name', input.name, '--provider', 'aws', '--region', 'ap-south-1', '--type', input.instanceType, '--wait']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED/);
    expect(result.stderr).toMatch(/error operation [0-9a-f-]{36} FAILED: PROVIDER_CAPACITY/);
  });

  it('lists VMs as a plain table for a pipe (no colour codes) and as JSON with --json', async () => {
    const table = await novacron(['vms', 'list', '--label', 'team=cli']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NAME\s+STATUS\s+PROVIDER/);
    expect(table.stdout).toMatch(/RUNNING/);
    expect(table.stdout).not.toMatch(/\u001b\[/);
    const json = await novacron(['vms', 'list', '--label', 'team=cli', '--json']);
    const vms = JSON.parse(json.stdout) as { labels: Record<string, string> }[];
    expect(vms.length).toBe(1);
    expect(vms[0]?.labels).toEqual({ team: 'cli' });
  });

  it('stops a VM with --wait, printing step changes as lines when not at a terminal', async () => {
    const listed = JSON.parse((await novacron(['vms', 'list', '--label', 'team=cli', '--json'])).stdout) as { id: string }[];
    const result = await novacron(['vm', 'stop', listed[0]?.id as string, '--wait']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/STOP SUCCEEDED \(vm [0-9a-f-]{36} STOPPED\)/);
    expect(result.stderr).toMatch(/SUCCEEDED 100%/);
  });

  it('stores a login (readable by the user only) that later commands use', async () => {
    const login = await novacron(['login', '--url', platform.gateway.url, '--token', platform.token], { NOVACRON_URL: undefined, NOVACRON_TOKEN: undefined });
    expect(login.code).toBe(0);
    expect((await stat(join(configDir, 'login.json'))).mode & 0o777).toBe(0o600);
    const listed = await novacron(['ops', 'list', '--json'], { NOVACRON_URL: undefined, NOVACRON_TOKEN: undefined });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect((await novacron(['logout'])).code).toBe(0);
  });

  it('refuses to run without a login (exit 3), with a bad token (exit 3) and with bad usage (exit 2)', async () => {
    const none = await novacron(['vms', 'list'], { NOVACRON_TOKEN: undefined });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/not logged in/);
    const bad = await novacron(['vms', 'list'], { NOVACRON_TOKEN: 'not-a-token' });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/UNAUTHENTICATED/);
    const usage = await novacron(['vms', 'list', '--status', 'SLEEPING']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/SLEEPING/);
  });

  it('answers a bad input with its code and field, and an unreachable gateway with exit 4', async () => {
    const bad = await novacron(['vm', 'create', '--name', 'Bad_Name', '--provider', 'aws', '--region', 'us-east-1', '--type', 't3.micro']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/BAD_USER_INPUT: .* \(field input\.name\)/);
    const away = await novacron(['vms', 'list'], { NOVACRON_URL: 'http://127.0.0.1:9/graphql' });
    expect(away.code).toBe(4);
  });

  it('suggests placements ranked by price (cheapest first) and creates a VM from requirements alone', async () => {
    const suggested = await novacron(['placement', 'suggest', '--vcpus', '2', '--memory', '4', '--json']);
    expect(suggested.code).toBe(0);
    const { candidates } = JSON.parse(suggested.stdout) as { candidates: { hourlyPrice: number; vcpus: number; memoryGib: number }[] };
    expect(candidates.length).toBe(5);
    for (const candidate of candidates) expect(candidate.vcpus >= 2 && candidate.memoryGib >= 4).toBe(true);
    expect(candidates.map((candidate) => candidate.hourlyPrice)).toEqual([...candidates.map((candidate) => candidate.hourlyPrice)].sort((a, b) => a - b));
    const table = await novacron(['placement', 'suggest', '--vcpus', '2', '--memory', '4', '--provider', 'gcp']);
    expect(table.stdout).toMatch(/PROVIDER\s+REGION\s+TYPE/);
    expect(table.stdout).not.toMatch(/\baws\b|\bazure\b/);
    const created = await novacron(['vm', 'create', '--name', `placed-${Date.now().toString(36)}`, '--vcpus', '1', '--memory', '1', '--wait', '--json']);
    expect(created.code).toBe(0);
    const operation = JSON.parse(created.stdout) as { status: string; steps: { name: string; status: string }[]; vm: { status: string; provider: string } };
    expect(operation.status).toBe('SUCCEEDED');
    expect(operation.steps[0]).toMatchObject({ name: 'place', status: 'SUCCEEDED' });
    expect(operation.vm.status).toBe('RUNNING');
  });

  it('reports costs grouped by provider, adding up to the total, and lists budgets', async () => {
    const report = await novacron(['cost', 'report', '--group-by', 'provider', '--json']);
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout) as { currency: string; total: string; groups: { total: string }[] };
    expect(parsed.currency).toBe('USD');
    const cents = (amount: string) => Math.round(Number(amount) * 1_000_000);
    expect(parsed.groups.reduce((sum, group) => sum + cents(group.total), 0)).toBe(cents(parsed.total));
    const budgets = await novacron(['budgets', '--json']);
    expect(budgets.code).toBe(0);
    expect(Array.isArray(JSON.parse(budgets.stdout))).toBe(true);
  });

  it('prints help and a bash completion script', async () => {
    const help = await novacron(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['login', 'vms', 'vm', 'ops', 'placement', 'cost', 'budgets', 'completion']) expect(help.stdout).toContain(command);
    const completion = await novacron(['completion', 'bash']);
    expect(completion.stdout).toContain('complete -F _novacron novacron');
    expect(completion.stdout).toMatch(/"vm"\) words="show create start stop reboot delete resize/);
  });
});
