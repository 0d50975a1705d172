/**
 * schema/subgraphs.json, the one list the platform is driven by: compose and codegen read it, `npm
 * start` and the e2e harness start what it names, the gateway and the kit find subgraphs' URLs in it.
 * Adding a subgraph edits that file and nothing else outside the subgraph.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An extra process a subgraph runs beside its server (the vms operation worker). */
export interface SubgraphProcess {
  name: string;
  /** Module path, relative to the manifest's folder. */
  entry: string;
  /** Environment variable giving how many replicas `npm start` runs (default 1). */
  replicasEnv?: string;
}

/** One subgraph of the platform. */
export interface SubgraphEntry {
  name: string;
  /** The embedded default URL; `<NAME>_URL` overrides it. Its port is the default `<NAME>_PORT`. */
  url: string;
  /** Path of the SDL file, relative to the manifest's folder. */
  schema: string;
  /** The process entry (`runProcess`), relative to the manifest's folder. */
  entry: string;
  processes?: SubgraphProcess[];
  /**
   * The subgraph has background work worth a process of its own (stream followers, periodic tasks):
   * `npm start` with `BACKGROUND_PROCESSES=1` runs it as `SUBGRAPH_ROLE=background` beside the
   * request process (`SUBGRAPH_ROLE=requests`).
   */
  background?: boolean;
}

/** The manifest with its paths resolved to absolute ones. */
export interface SubgraphManifest {
  file: string;
  subgraphs: SubgraphEntry[];
}

/** The committed manifest; `NOVACRON_SUBGRAPHS_FILE` names another (tests compose throw-away subgraphs that way). */
export function subgraphManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NOVACRON_SUBGRAPHS_FILE ?? fileURLToPath(new URL('../../../schema/subgraphs.json', import.meta.url));
}

/** The kit's part of every subgraph's SDL (the `_eventFeed` contract and `@eventStream`); compose and codegen merge it. */
export const kitTypeDefsPath = fileURLToPath(new URL('./kit.graphql', import.meta.url));

const namePattern = /^[a-z][a-z0-9]{1,30}$/;

/** Reads and checks the manifest; every path in the result is absolute. */
export function readSubgraphManifest(file = subgraphManifestPath()): SubgraphManifest {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { subgraphs?: SubgraphEntry[] };
  if (!Array.isArray(parsed.subgraphs) || parsed.subgraphs.length === 0) throw new Error(`${file}: "subgraphs" must be a non-empty list`);
  const folder = dirname(file);
  const seen = new Set<string>();
  const subgraphs = parsed.subgraphs.map((entry) => {
    if (!namePattern.test(entry.name ?? '')) throw new Error(`${file}: subgraph name "${entry.name}" must be lower-case letters and digits`);
    if (seen.has(entry.name)) throw new Error(`${file}: subgraph "${entry.name}" is listed twice`);
    seen.add(entry.name);
    if (entry.background !== undefined && typeof entry.background !== 'boolean') throw new Error(`${file}: subgraph "${entry.name}": "background" must be true or false`);
    for (const key of ['url', 'schema', 'entry'] as const) {
      if (typeof entry[key] !== 'string' || entry[key] === '') throw new Error(`${file}: subgraph "${entry.name}" needs "${key}"`);
    }
    return {
      ...entry,
      schema: resolve(folder, entry.schema),
      entry: resolve(folder, entry.entry),
      processes: (entry.processes ?? []).map((process) => ({ ...process, entry: resolve(folder, process.entry) })),
    };
  });
  return { file, subgraphs };
}

/** The environment variable prefix of a subgraph (`vms` → `VMS`). */
export function envPrefix(name: string): string {
  return name.toUpperCase();
}

/** Each subgraph's URL: `<NAME>_URL` when set, else the manifest's, on port `<NAME>_PORT` when that is set. */
export function subgraphUrls(manifest: SubgraphManifest, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    manifest.subgraphs.map((entry) => {
      const prefix = envPrefix(entry.name);
      const explicit = env[`${prefix}_URL`];
      if (explicit) return [entry.name, explicit];
      const url = new URL(entry.url);
      if (env[`${prefix}_PORT`]) url.port = String(env[`${prefix}_PORT`]);
      return [entry.name, url.toString()];
    }),
  );
}
