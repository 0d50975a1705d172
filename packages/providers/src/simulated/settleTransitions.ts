/**
 * How a simulated instance's due transition settles, as SQL over a `simcloud.instances` row: the
 * assignments an action's (or a list's) settling `update` makes, and the same result computed in a
 * read. Shared by the driver and `injectDrift`, so every path settles alike.
 */

/**
 * The addresses a due transition settles with, over a row's columns: a private address kept for the
 * instance's life, a public one per start (none while stopped). Drawn from a hash of the instance's
 * id (and, for the public one, of the transition's due time), not `random()`, so that a read that
 * reports a due transition as settled and the write that settles it later agree.
 */
const settledPrivateIp = `case target_state
          when 'RUNNING' then coalesce(private_ip, '10.' || (hashtext(provider_id) & 255) || '.' || ((hashtext(provider_id) >> 8) & 255) || '.' || (1 + ((hashtext(provider_id) >> 16) & 255) % 254))
          when 'DELETED' then null
          else private_ip end`;
const settledPublicIp = `case target_state
          when 'RUNNING' then coalesce(public_ip, '203.0.113.' || (1 + (hashtext(provider_id || '@' || extract(epoch from settles_at)::text) & 2147483647) % 254))
          else null end`;

/** How a due transition settles: the state it was heading for, and addresses once running. */
export const settleAssignments = `
        state = target_state,
        target_state = null,
        settles_at = null,
        private_ip = ${settledPrivateIp},
        public_ip = ${settledPublicIp},
        updated_at = now()`;

/**
 * {@link instanceColumns} as a due transition would leave them, computed in the read: a `get` or
 * `findByClientToken` writes nothing (a poll was an `update` of the instance, with its WAL and
 * commit, on every create's wait: docs/benchmarks.md, "Execution, round 2").
 */
const due = '(settles_at <= now())';
export const settledInstanceColumns = `provider_id, provider, region, instance_type, image, name,
  case when ${due} then target_state else state end as state,
  case when ${due} then null else target_state end as target_state,
  client_token,
  case when ${due} then ${settledPrivateIp} else private_ip end as private_ip,
  case when ${due} then ${settledPublicIp} else public_ip end as public_ip,
  labels,
  case when ${due} then null else (extract(epoch from settles_at) * 1000)::float8 end as settles_at_ms`;
