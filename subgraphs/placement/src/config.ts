/**
 * The placement subgraph's configuration, read from the environment once. Nothing else reads
 * process.env. See .env.example for every variable.
 */
import { readEnv } from '@novacron/server-kit';
import { loadSubgraphConfig, type SubgraphConfig } from '@novacron/subgraph-kit';

/** Parsed configuration: the kit's shared settings and placement's own. */
export interface PlacementConfig extends SubgraphConfig {
  placement: {
    /** An offering with a capacity failure is not placed on for this long (unless a create succeeds there since). */
    capacityBlockSeconds: number;
    /** Create outcomes this recent feed the reliability score. */
    outcomeWindowSeconds: number;
    /** A quota reservation never confirmed by the VM's arrival stops counting after this long. */
    reservationTtlSeconds: number;
    /** How often expired reservations are marked EXPIRED. */
    reservationSweepIntervalMs: number;
    /** placementOptions ranks against a tenant state at most this old (see placementStateCache.ts); 0 loads it per request. */
    stateMaxAgeMs: number;
    /** Serve repeated placementOptions queries from a response cache before Apollo parses them (needs stateMaxAgeMs > 0). */
    responseCache: boolean;
    /** Follow the vms `vm` stream into the usage projection (off only in tests that feed it themselves). */
    followVms: boolean;
  };
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): PlacementConfig {
  return Object.freeze({
    ...loadSubgraphConfig('placement'),
    placement: {
      capacityBlockSeconds: readEnv.int('PLACEMENT_CAPACITY_BLOCK_SECONDS', 600),
      outcomeWindowSeconds: readEnv.int('PLACEMENT_OUTCOME_WINDOW_SECONDS', 86_400),
      reservationTtlSeconds: readEnv.int('PLACEMENT_RESERVATION_TTL_SECONDS', 900),
      reservationSweepIntervalMs: readEnv.int('PLACEMENT_RESERVATION_SWEEP_INTERVAL_MS', 30_000),
      stateMaxAgeMs: readEnv.int('PLACEMENT_STATE_MAX_AGE_MS', 1000),
      responseCache: readEnv.bool('PLACEMENT_RESPONSE_CACHE', true),
      followVms: readEnv.bool('PLACEMENT_FOLLOW_VMS', true),
    },
  });
}
