import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerProcessPriority } from '../src/lowerProcessPriority.ts';

const modulePath = fileURLToPath(new URL('../src/lowerProcessPriority.ts', import.meta.url));

// Runs in a child process: lowering the test runner's own priority would slow every later test.
const child = `
import { readdirSync, readFileSync } from 'node:fs';
import { pbkdf2Sync, pbkdf2 } from 'node:crypto';
import { lowerProcessPriority } from ${JSON.stringify(modulePath)};
const niceOf = (tid) => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); };
const threads = () => readdirSync('/proc/self/task');
const before = threads().map(niceOf);
const set = lowerProcessPriority(6);
// libuv's thread pool starts on first use, after the change: its threads must inherit it.
await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve) => pbkdf2('x', 'y', 1000, 32, 'sha256', resolve))));
process.stdout.write(JSON.stringify({ before, set, after: threads().map(niceOf) }));
`;

describe('lowerProcessPriority', () => {
  it.runIf(process.platform === 'linux')('lowers every thread of the process, and threads started later inherit it', () => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
    const result = JSON.parse(output) as { before: number[]; set: number; after: number[] };
    expect(result.before.every((nice) => nice === result.before[0])).toBe(true);
    expect(result.before[0]).not.toBe(6);
    // V8's helper threads exist before any of our code runs.
    expect(result.set).toBeGreaterThan(1);
    expect(result.after.length).toBeGreaterThan(result.set);
    expect(result.after.every((nice) => nice === 6)).toBe(true);
  });

  it('accepts nice values from 1 to 19 only', () => {
    for (const nice of [0, 20, -1, 1.5]) expect(() => lowerProcessPriority(nice)).toThrow(RangeError);
  });
});
