/**
 * Prints the total of every package's vitest run as one line, `N passed, N failed, N skipped`, after
 * `turbo run test` (which prints each package's own summary). `--clean` removes earlier reports first,
 * so a package that did not run cannot be counted.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every workspace the root package.json lists (`packages/*` expanded), plus `scripts` (the root's own tests). */
async function reportFolders(): Promise<string[]> {
  const { workspaces } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { workspaces: string[] };
  const folders = [`${root}scripts`];
  for (const workspace of workspaces) {
    if (!workspace.endsWith('/*')) {
      folders.push(`${root}${workspace}`);
      continue;
    }
    const parent = workspace.slice(0, -2);
    for (const entry of await readdir(`${root}${parent}`, { withFileTypes: true })) if (entry.isDirectory()) folders.push(`${root}${parent}/${entry.name}`);
  }
  return folders.map((folder) => `${folder}/.test-results`);
}

if (process.argv.includes('--clean')) {
  for (const folder of await reportFolders()) await rm(folder, { recursive: true, force: true });
} else {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const folder of await reportFolders()) {
    const text = await readFile(`${folder}/vitest.json`, 'utf8').catch(() => null);
    if (!text) continue;
    const report = JSON.parse(text) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
  }
  console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  if (totals.passed === 0 || totals.failed > 0) process.exitCode = 1;
}
