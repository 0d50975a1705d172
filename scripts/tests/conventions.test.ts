import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function typeScriptFiles(folder: string): string[] {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === '__generated__' ? [] : typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function sourceFolders(parent: string, below: string): string[] {
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, parent, entry.name, below));
}

/** Lines of `files` matching `pattern`, as `path:line`. */
function offending(files: string[], pattern: RegExp): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) => (pattern.test(line) ? [`${relative(root, file)}:${index + 1}`] : [])),
  );
}

describe('house conventions', () => {
  it('takes HTTP statuses from the error registry, never from a literal', () => {
    // requestError / withHttpStatus in @novacron/errors set extensions.http.status from the code.
    const folders = [join(root, 'gateway/src'), ...sourceFolders('subgraphs', 'src'), ...sourceFolders('packages', 'src').filter((folder) => !folder.includes(`${join('packages', 'errors')}`))];
    expect(offending(folders.flatMap(typeScriptFiles), /http:\s*\{\s*status:\s*\d/)).toEqual([]);
  });

  it('keeps generated resolver types out of subgraph domain and worker code', () => {
    // Types flow from the drizzle columns (db/schema.ts) into the domain; only resolvers use __generated__.
    const folders = [...sourceFolders('subgraphs', 'src/domain'), ...sourceFolders('subgraphs', 'src/worker')];
    expect(offending(folders.flatMap(typeScriptFiles), /from\s+['"][^'"]*__generated__/)).toEqual([]);
  });
});
