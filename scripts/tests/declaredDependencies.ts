/**
 * What each workspace imports against what its package.json declares. Used by
 * declaredDependencies.test.ts; kept apart so the walk can be read (and tested) on its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

/** One workspace (or the repository root) and the packages its TypeScript files import. */
export interface WorkspaceImports {
  /** Folder relative to the repository root (`.` for the root). */
  folder: string;
  name: string;
  declared: Set<string>;
  /** Binaries its own npm scripts run (`vitest run` → `vitest`). */
  scriptCommands: Set<string>;
  /** Package name → the first file that imports it. */
  imported: Map<string, string>;
}

interface PackageJson {
  name: string;
  workspaces?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const importPatterns = [
  // import x from 'p'; import type { X } from 'p'; export { x } from 'p'; export * from 'p'
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  // import 'p' (side effects only)
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  // import('p'), require('p'), require.resolve('p')
  /\b(?:import|require(?:\.resolve)?)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

const builtins = new Set(builtinModules);

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null for files and Node built-ins. */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || specifier.startsWith('#')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return builtins.has(name) ? null : name;
}

/** Bare specifiers imported by one TypeScript source text; examples in comments do not count. */
export function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of importPatterns) for (const match of code.matchAll(pattern)) if (match[1]) found.push(match[1]);
  return found;
}

function typeScriptFiles(folder: string, nested: boolean): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory() && nested) files.push(...typeScriptFiles(path, true));
    else if (entry.isFile() && (entry.name.endsWith('.ts') || entry.name.endsWith('.tsx'))) files.push(path);
  }
  return files;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The folders the root package.json's `workspaces` globs name (`packages/*`, `gateway`). */
function workspaceFolders(root: string, globs: readonly string[]): string[] {
  const folders: string[] = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = join(root, glob.slice(0, -2));
      for (const entry of readdirSync(parent, { withFileTypes: true })) if (entry.isDirectory() && exists(join(parent, entry.name, 'package.json'))) folders.push(join(parent, entry.name));
    } else if (exists(join(root, glob, 'package.json'))) {
      folders.push(join(root, glob));
    }
  }
  return folders;
}

function commandsOf(scripts: Record<string, string> = {}): Set<string> {
  const commands = new Set<string>();
  for (const script of Object.values(scripts)) {
    for (const part of script.split(/&&|\|\||;/)) {
      const [command] = part.trim().split(/\s+/);
      if (command) commands.add(command);
    }
  }
  return commands;
}

/**
 * What one folder's TypeScript files import: all of its tree (`sourceFolders` = 'all'), or its
 * top-level *.ts files and the named folders (the repository root, whose tree holds the workspaces).
 */
function scanWorkspace(root: string, folder: string, sourceFolders: readonly string[] | 'all'): WorkspaceImports {
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as PackageJson;
  const files =
    sourceFolders === 'all'
      ? typeScriptFiles(folder, true)
      : [...typeScriptFiles(folder, false), ...sourceFolders.filter((name) => exists(join(folder, name))).flatMap((name) => typeScriptFiles(join(folder, name), true))];
  const imported = new Map<string, string>();
  for (const file of files) {
    for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
      const name = packageOf(specifier);
      if (name && name !== manifest.name && !imported.has(name)) imported.set(name, relative(root, file));
    }
  }
  return {
    folder: relative(root, folder) || '.',
    name: manifest.name,
    declared: new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]),
    scriptCommands: commandsOf(manifest.scripts),
    imported,
  };
}

/** Every workspace of the repository (all its TypeScript), plus the root (its `scripts/` and top-level `*.ts`, such as codegen.ts). */
export function scanRepository(root: string): WorkspaceImports[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const workspaces = workspaceFolders(root, manifest.workspaces ?? []).map((folder) => scanWorkspace(root, folder, 'all'));
  return [scanWorkspace(root, root, ['scripts']), ...workspaces];
}
