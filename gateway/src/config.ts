/** The gateway's configuration, read from the environment once. */
import { fileURLToPath } from 'node:url';
import { readEnv } from '@novacron/server-kit';

/** Parsed gateway configuration. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** Path of the composed supergraph SDL (committed at schema/supergraph.graphql). */
  supergraphPath: string;
  /** Per-subgraph URL overrides (`VMS_URL`, …); others use the URL composed into the supergraph. */
  subgraphUrls: Record<string, string>;
  production: boolean;
  maxBodyBytes: number;
}

const subgraphNames = ['vms', 'placement', 'metrics', 'billing'];

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): GatewayConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const name of subgraphNames) {
    const url = readEnv.optional(`${name.toUpperCase()}_URL`);
    if (url) subgraphUrls[name] = url;
  }
  return Object.freeze({
    host: readEnv.string('GATEWAY_HOST', '127.0.0.1'),
    port: readEnv.int('GATEWAY_PORT', 4000),
    supergraphPath: readEnv.string('SUPERGRAPH_PATH', fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url))),
    subgraphUrls,
    production: readEnv.string('NODE_ENV', 'development') === 'production',
    maxBodyBytes: readEnv.int('GATEWAY_MAX_BODY_BYTES', 1_000_000),
  });
}
