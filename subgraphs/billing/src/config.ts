/**
 * The billing subgraph's configuration, read from the environment once: the kit's shared settings plus
 * billing's own. Nothing else reads process.env. See .env.example.
 */
import { readEnv } from '@novacron/server-kit';
import { loadSubgraphConfig, type SubgraphConfig } from '@novacron/subgraph-kit';

export interface BillingConfig extends SubgraphConfig {
  security: SubgraphConfig['security'] & {
    /** `CREDENTIALS_KEYS` (`kid:base64key,…`): webhook secrets at rest, the same ring as vms' provider credentials. */
    credentialKeys: string | undefined;
    credentialActiveKeyId: string | undefined;
  };
  billing: {
    /** How often budgets are evaluated, holds expired, anomalies judged and webhooks delivered. */
    tasksIntervalMs: number;
    /** How long a BLOCK_CREATE hold waits for its VM to appear in the vms feed. */
    reservationHoldSeconds: number;
    /** An anomalous day must exceed its baseline mean by at least this many USD. */
    anomalyMinimumUsd: string;
    webhookMaxAttempts: number;
    webhookBaseDelaySeconds: number;
  };
}

/** Reads the configuration, with the embedded-default values. */
export function loadConfig(): BillingConfig {
  const shared = loadSubgraphConfig('billing');
  return Object.freeze({
    ...shared,
    security: {
      ...shared.security,
      credentialKeys: readEnv.optional('CREDENTIALS_KEYS'),
      credentialActiveKeyId: readEnv.optional('CREDENTIALS_ACTIVE_KEY_ID'),
    },
    billing: Object.freeze({
      tasksIntervalMs: readEnv.int('BILLING_TASKS_INTERVAL_MS', 30_000),
      reservationHoldSeconds: readEnv.int('BILLING_RESERVATION_HOLD_SECONDS', 900),
      anomalyMinimumUsd: readEnv.string('BILLING_ANOMALY_MINIMUM_USD', '10'),
      webhookMaxAttempts: readEnv.int('BILLING_WEBHOOK_MAX_ATTEMPTS', 8),
      webhookBaseDelaySeconds: readEnv.int('BILLING_WEBHOOK_BASE_DELAY_SECONDS', 30),
    }),
  });
}
