/**
 * The placement subgraph's configuration, read from the environment once. Nothing else reads
 * process.env. See .env.example for every variable.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readEnv } from '@novacron/server-kit';

/** A PEM from `<NAME>` or from the file named by `<NAME>_FILE`. */
function readPem(name: string): string | undefined {
  const file = readEnv.optional(`${name}_FILE`);
  return file ? readFileSync(file, 'utf8') : readEnv.optional(name)?.replaceAll('\\n', '\n');
}

/** Parsed configuration. */
export interface PlacementConfig {
  host: string;
  port: number;
  /** `PLACEMENT_DATABASE_URL`, or the shared `DATABASE_URL`; the subgraph owns schema `placement` in it. */
  databaseUrl: string;
  /** Production mode masks internal errors and turns off introspection. */
  production: boolean;
  security: {
    /** PEM of the gateway's internal-token public key; every request must carry a token it signed. */
    internalTokenPublicKeyPem: string | undefined;
    /** Development keys (embedded default) live here when the key is not configured. */
    keysDir: string;
  };
  placement: {
    /** An offering with a capacity failure is not placed on for this long (unless a create succeeds there since). */
    capacityBlockSeconds: number;
    /** Create outcomes this recent feed the reliability score. */
    outcomeWindowSeconds: number;
    /** A quota reservation never confirmed by the VM's arrival stops counting after this long. */
    reservationTtlSeconds: number;
    /** How often expired reservations are marked EXPIRED. */
    reservationSweepIntervalMs: number;
  };
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): PlacementConfig {
  return Object.freeze({
    host: readEnv.string('PLACEMENT_HOST', '127.0.0.1'),
    port: readEnv.int('PLACEMENT_PORT', 4002),
    databaseUrl: readEnv.optional('PLACEMENT_DATABASE_URL') ?? readEnv.string('DATABASE_URL'),
    production: readEnv.string('NODE_ENV', 'development') === 'production',
    security: {
      internalTokenPublicKeyPem: readPem('INTERNAL_TOKEN_PUBLIC_KEY'),
      keysDir: readEnv.string('NOVACRON_KEYS_DIR', fileURLToPath(new URL('../../../.novacron/keys', import.meta.url))),
    },
    placement: {
      capacityBlockSeconds: readEnv.int('PLACEMENT_CAPACITY_BLOCK_SECONDS', 600),
      outcomeWindowSeconds: readEnv.int('PLACEMENT_OUTCOME_WINDOW_SECONDS', 86_400),
      reservationTtlSeconds: readEnv.int('PLACEMENT_RESERVATION_TTL_SECONDS', 900),
      reservationSweepIntervalMs: readEnv.int('PLACEMENT_RESERVATION_SWEEP_INTERVAL_MS', 30_000),
    },
  });
}
