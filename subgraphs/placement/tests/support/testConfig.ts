import type { PlacementConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, development keys in `keysDir`. */
export function testConfig(databaseUrl: string, keysDir: string): PlacementConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, keysDir },
    placement: { capacityBlockSeconds: 600, outcomeWindowSeconds: 86_400, reservationTtlSeconds: 600, reservationSweepIntervalMs: 60_000 },
  };
}
