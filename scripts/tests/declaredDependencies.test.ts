import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importedSpecifiers, packageOf, scanRepository, type WorkspaceImports } from './declaredDependencies.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Binaries npm scripts run, and the package that provides each. */
const binaries: Record<string, string> = {
  node: 'node',
  tsc: 'typescript',
  vitest: 'vitest',
  turbo: 'turbo',
  'graphql-codegen': '@graphql-codegen/cli',
  'drizzle-kit': 'drizzle-kit',
  'patch-package': 'patch-package',
};

/**
 * Declared packages no TypeScript file imports, on purpose. Each needs a reason; anything else a
 * workspace declares must be imported, and anything it imports must be declared.
 */
const declaredWithoutImport: Record<string, Record<string, string>> = {
  '*': {
    '@types/node': 'Node typings for every workspace, through tsconfig.base.json "types": ["node"]',
  },
  web: {
    graphql: 'the SDK documents run through graphql-js in the browser bundle; Vite resolves it from the app, one copy',
    'graphql-ws': "the SDK's subscription client, bundled by Vite from the app's own dependency",
  },
};

/** graphql-codegen loads plugins by name (`'typescript-resolvers'` → `@graphql-codegen/typescript-resolvers`). */
function codegenPlugins(): string[] {
  const source = readFileSync(`${root}codegen.ts`, 'utf8');
  const names = new Set<string>();
  for (const [, list] of source.matchAll(/plugins:\s*\[([^\]]*)\]/g)) {
    // Entries are 'name' or { name: options }; options may hold objects of their own.
    for (const [, quoted, keyed] of `[${list}`.matchAll(/[[,]\s*(?:'([a-z-]+)'|\{\s*([a-z-]+)\s*:)/g)) names.add((quoted ?? keyed) as string);
  }
  return [...names].map((name) => `@graphql-codegen/${name}`);
}

/** Peer dependencies of a package, as installed for the workspace (its own node_modules, then the root's). */
function peersOf(workspace: WorkspaceImports, name: string): string[] {
  for (const folder of [`${root}${workspace.folder}/node_modules`, `${root}node_modules`]) {
    const manifest = `${folder}/${name}/package.json`;
    if (existsSync(manifest)) return Object.keys((JSON.parse(readFileSync(manifest, 'utf8')) as { peerDependencies?: Record<string, string> }).peerDependencies ?? {});
  }
  return [];
}

function usedWithoutImport(workspace: WorkspaceImports, name: string): boolean {
  if ([...workspace.scriptCommands].some((command) => binaries[command] === name)) return true;
  if (name.startsWith('@types/') && workspace.imported.has(name.slice('@types/'.length))) return true;
  // A peer dependency of an imported package must be declared by the importer (graphql for @apollo/server).
  if ([...workspace.imported.keys()].some((imported) => peersOf(workspace, imported).includes(name))) return true;
  return Boolean(declaredWithoutImport['*']?.[name] ?? declaredWithoutImport[workspace.folder]?.[name]);
}

const workspaces = scanRepository(root);
const rootWorkspace = workspaces.find((workspace) => workspace.folder === '.');
for (const plugin of codegenPlugins()) rootWorkspace?.imported.set(plugin, 'codegen.ts');

describe('declared dependencies', () => {
  it('finds the workspaces and their imports', () => {
    expect(workspaces.map((workspace) => workspace.folder)).toEqual(expect.arrayContaining(['.', 'gateway', 'subgraphs/vms', 'packages/errors']));
    expect(workspaces.find((workspace) => workspace.folder === 'packages/errors')?.imported.has('graphql')).toBe(true);
  });

  it.each(workspaces.map((workspace) => [workspace.folder, workspace] as const))('%s declares every package it imports', (_folder, workspace) => {
    const undeclared = [...workspace.imported].filter(([name]) => !workspace.declared.has(name)).map(([name, file]) => `${name} (imported by ${file})`);
    expect(undeclared).toEqual([]);
  });

  it.each(workspaces.map((workspace) => [workspace.folder, workspace] as const))('%s imports every package it declares', (_folder, workspace) => {
    const unused = [...workspace.declared].filter((name) => !workspace.imported.has(name) && !usedWithoutImport(workspace, name));
    expect(unused).toEqual([]);
  });
});

describe('import scanning', () => {
  it('reads value, type, re-export, side-effect and dynamic imports', () => {
    // Built at run time, so this file's own scan does not mistake the examples for imports.
    const [from, load] = ['from', 'import'];
    const source = [
      `import { a } ${from} 'alpha';`,
      `import type { B } ${from} '@scope/beta/sub';`,
      `export { c } ${from} 'gamma';`,
      `${load} 'delta';`,
      `const e = await ${load}('epsilon');`,
      `const f = require.resolve${'('}'zeta');`,
      `import { g } ${from} './local.ts';`,
      `import { h } ${from} 'node:fs';`,
      `// import { i } ${from} 'commented-out';`,
    ].join('\n');
    expect(importedSpecifiers(source).map(packageOf).filter(Boolean).sort()).toEqual(['@scope/beta', 'alpha', 'delta', 'epsilon', 'gamma', 'zeta']);
  });

  it('ignores Node built-ins with or without the node: prefix', () => {
    expect([packageOf('fs'), packageOf('node:fs'), packageOf('fs/promises')]).toEqual([null, null, null]);
  });
});
