import type { ProviderInstance, ProviderInstanceState } from '../ProviderDriver.ts';
import { managedTags } from '../cloud/managedTags.ts';

/**
 * The columns of `simcloud.instances` the driver reads, as {@link instanceColumns} selects them.
 * Times travel as epoch milliseconds (float8), never as timestamptz: a pool that drizzle has wrapped
 * (`@novacron/db`'s `migrate` does) parses timestamptz to strings, a bare pool to Dates.
 */
export interface SimulatedInstanceRow {
  provider_id: string;
  provider: string;
  region: string;
  instance_type: string;
  image: string;
  name: string;
  state: ProviderInstanceState;
  target_state: 'RUNNING' | 'STOPPED' | 'DELETED' | null;
  settles_at_ms: number | null;
  client_token: string;
  private_ip: string | null;
  public_ip: string | null;
  labels: Record<string, string> | null;
}

/** The select/returning list that produces a {@link SimulatedInstanceRow}. */
export const instanceColumns =
  'provider_id, provider, region, instance_type, image, name, state, target_state, client_token, private_ip, public_ip, labels, ' +
  '(extract(epoch from settles_at) * 1000)::float8 as settles_at_ms';

/** What the simulated cloud reports for a row. */
export function toProviderInstance(row: SimulatedInstanceRow): ProviderInstance {
  return {
    providerId: row.provider_id,
    name: row.name,
    region: row.region,
    instanceType: row.instance_type,
    image: row.image,
    state: row.state,
    privateIp: row.private_ip,
    publicIp: row.public_ip,
    clientToken: row.client_token,
    settlesAt: row.settles_at_ms === null ? null : new Date(row.settles_at_ms),
    // The simulated cloud settles a transition when its time comes: the time is a fact, not a hint.
    ...(row.settles_at_ms === null ? {} : { settlesAtKnown: true }),
    // Only instances created with the managed tags report tags: older ones (untagged) stay every tenant's, as before.
    ...(row.labels?.[managedTags.managedBy] === managedTags.managedByValue ? { tags: { ...row.labels } } : {}),
  };
}
