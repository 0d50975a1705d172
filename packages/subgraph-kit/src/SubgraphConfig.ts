/**
 * The configuration every subgraph shares, read from the environment once. A subgraph's own
 * config.ts extends it with its own settings; nothing else reads process.env.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isProductionMode } from '@novacron/auth';
import { AppError } from '@novacron/errors';
import { readEnv } from '@novacron/server-kit';
import { defaultFollowerMinIntervalMs, type StreamFollowerOptions } from './follower/startStreamFollower.ts';
import { envPrefix, readSubgraphManifest, subgraphUrls } from './subgraphManifest.ts';

/** A PEM from `<NAME>` or from the file named by `<NAME>_FILE`. */
export function readPem(name: string): string | undefined {
  const file = readEnv.optional(`${name}_FILE`);
  return file ? readFileSync(file, 'utf8') : readEnv.optional(name)?.replaceAll('\\n', '\n');
}

/** What every subgraph is configured with. */
export interface SubgraphConfig {
  /** The subgraph's name in schema/subgraphs.json; also its Postgres schema and token audience. */
  name: string;
  host: string;
  port: number;
  /** `<NAME>_METRICS_PORT`: the Prometheus `/metrics` endpoint, apart from the public port (0: a free one, logged). */
  metricsPort: number;
  /** `<NAME>_DATABASE_URL`, else `DATABASE_URL`: each subgraph owns its schema in one database by default. */
  databaseUrl: string;
  /** Production mode (anything but NOVACRON_DEV=1) masks internal errors, turns off introspection, needs configured keys. */
  production: boolean;
  security: {
    /** PEM of the platform's internal-token public key; every request must carry a token signed with it. */
    internalTokenPublicKeyPem: string | undefined;
    /** The internal signing key, for subgraphs that call or follow another subgraph. */
    internalTokenPrivateKeyPem: string | undefined;
    internalTokenKeyId: string;
    /** Development keys (embedded default) live here when the above are not configured. */
    keysDir: string;
  };
  events: {
    /** With Redis, committed-event signals are relayed to Redis pub/sub for the gateways. */
    redisUrl: string | undefined;
    redisPrefix: string;
    /** Events older than this are pruned; resuming from an older cursor is RESYNC_REQUIRED. */
    retentionSeconds: number;
    pruneIntervalMs: number;
    /**
     * `EVENT_FOLLOWER_MIN_INTERVAL_MS`: a stream follower reads its source at most this often (see
     * startStreamFollower's `minIntervalMs`); the extra projection lag under load, at most this much.
     */
    followerMinIntervalMs: number;
  };
  /** Where every subgraph of the platform answers (schema/subgraphs.json, `<NAME>_URL` overrides). */
  subgraphUrls: Readonly<Record<string, string>>;
  /**
   * `BACKGROUND_NICE` (0–19, default 10; 0 leaves them alone): the CPU priority of the Postgres
   * backends of the subgraph's background pool (`KitServices.backgroundSql`: stream followers,
   * collection, rollups), when Postgres runs on the same machine. Background work has seconds of
   * slack and gives way to requests, as the operation workers do (docs/architecture.md, "CPU priority
   * of execution").
   */
  backgroundNice: number;
  /**
   * `BACKGROUND_CGROUP`: a CPU cgroup directory (absolute path) to move the background pool's backends
   * and the operation workers into, where they run only on CPU time requests do not want; null (unset)
   * leaves them to `BACKGROUND_NICE` and `WORKER_NICE` alone. `npm start` turns `auto` into a group
   * it makes and removes (packages/db's createIdleCgroup; docs/architecture.md, "One idle CPU
   * cgroup for all background work").
   */
  backgroundCgroup: string | null;
  /**
   * `SUBGRAPH_ROLE`: what this process of the subgraph does. `all` (default): answers requests and runs
   * the background work (stream followers, periodic tasks). `requests`: answers requests only.
   * `background`: runs the background work only, as a process of its own that can be given a lower CPU
   * priority as a whole (`BACKGROUND_NICE`, `BACKGROUND_CGROUP`); its GraphQL port is not the
   * subgraph's. `npm start` with `BACKGROUND_PROCESSES=1` runs each subgraph as one of each
   * (docs/architecture.md, "Background processes").
   */
  role: SubgraphRole;
}

/** What a subgraph process does ({@link SubgraphConfig.role}). */
export type SubgraphRole = 'all' | 'requests' | 'background';
const subgraphRoles: readonly SubgraphRole[] = ['all', 'requests', 'background'];

/** Reads the shared configuration of subgraph `name`. */
export function loadSubgraphConfig(name: string): SubgraphConfig {
  const prefix = envPrefix(name);
  const manifest = readSubgraphManifest();
  const urls = subgraphUrls(manifest);
  const ownUrl = urls[name];
  if (!ownUrl) throw new Error(`subgraph "${name}" is not listed in ${manifest.file}`);
  return Object.freeze({
    name,
    host: readEnv.string(`${prefix}_HOST`, '127.0.0.1'),
    port: readEnv.int(`${prefix}_PORT`, Number(new URL(ownUrl).port || 80)),
    metricsPort: readEnv.int(`${prefix}_METRICS_PORT`, 0),
    databaseUrl: readEnv.optional(`${prefix}_DATABASE_URL`) ?? readEnv.string('DATABASE_URL'),
    production: isProductionMode(process.env),
    security: {
      internalTokenPublicKeyPem: readPem('INTERNAL_TOKEN_PUBLIC_KEY'),
      internalTokenPrivateKeyPem: readPem('INTERNAL_TOKEN_PRIVATE_KEY'),
      internalTokenKeyId: readEnv.string('INTERNAL_TOKEN_KEY_ID', 'internal-1'),
      keysDir: readEnv.string('NOVACRON_KEYS_DIR', fileURLToPath(new URL('../../../.novacron/keys', import.meta.url))),
    },
    events: {
      redisUrl: readEnv.optional('REDIS_URL'),
      redisPrefix: readEnv.string('REDIS_PREFIX', 'novacron'),
      retentionSeconds: readEnv.int('EVENT_RETENTION_SECONDS', 86_400),
      pruneIntervalMs: readEnv.int('EVENT_PRUNE_INTERVAL_MS', 60_000),
      followerMinIntervalMs: readEnv.int('EVENT_FOLLOWER_MIN_INTERVAL_MS', defaultFollowerMinIntervalMs),
    },
    subgraphUrls: Object.freeze(urls),
    backgroundNice: readNiceEnv('BACKGROUND_NICE', 10),
    backgroundCgroup: readCgroupEnv(),
    role: readRoleEnv(),
  });
}

/** `SUBGRAPH_ROLE`: all (default), requests or background. */
function readRoleEnv(): SubgraphRole {
  const value = readEnv.string('SUBGRAPH_ROLE', 'all');
  if (!(subgraphRoles as readonly string[]).includes(value)) throw new AppError('BAD_USER_INPUT', `SUBGRAPH_ROLE must be one of ${subgraphRoles.join(', ')}, got "${value}"`);
  return value as SubgraphRole;
}

/** `BACKGROUND_CGROUP`: an absolute cgroup directory, or null when unset. */
function readCgroupEnv(): string | null {
  const value = readEnv.optional('BACKGROUND_CGROUP')?.trim();
  if (!value) return null;
  if (value === 'auto') throw new AppError('BAD_USER_INPUT', 'BACKGROUND_CGROUP=auto is resolved by npm start (scripts/start.ts); a process started on its own needs the directory of an existing CPU cgroup');
  if (!value.startsWith('/')) throw new AppError('BAD_USER_INPUT', `BACKGROUND_CGROUP must be the absolute path of a CPU cgroup directory, got "${value}"`);
  return value;
}

/** A nice value from environment variable `name` (`fallback` when unset): 0 (unchanged) to 19 (`WORKER_NICE`, `BACKGROUND_NICE`). */
export function readNiceEnv(name: string, fallback: number): number {
  const value = readEnv.int(name, fallback);
  if (value < 0 || value > 19) throw new AppError('BAD_USER_INPUT', `${name} must be from 0 (unchanged) to 19, got ${value}`);
  return value;
}

/**
 * How a subgraph's stream followers hear of new events and how often they may read, from its shared
 * configuration: Redis signals when `REDIS_URL` is set (LISTEN otherwise), at most every
 * `EVENT_FOLLOWER_MIN_INTERVAL_MS`. Spread into startStreamFollower's options.
 */
export function followerSettings(config: SubgraphConfig): Required<Pick<StreamFollowerOptions, 'signals' | 'minIntervalMs'>> {
  return {
    signals: { databaseUrl: config.databaseUrl, redisUrl: config.events.redisUrl, redisPrefix: config.events.redisPrefix },
    minIntervalMs: config.events.followerMinIntervalMs,
  };
}
