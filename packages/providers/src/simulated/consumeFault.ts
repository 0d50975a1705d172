import type { Sql } from '@novacron/db';
import { ProviderError } from '../ProviderError.ts';
import type { SimulatedFaultAction, SimulatedFaultKind } from './SimulatedFault.ts';

/** A fault that one call has just used up. */
export interface ConsumedFault {
  kind: SimulatedFaultKind;
  code: string | null;
  message: string | null;
}

/** What a call is about, so region-scoped faults can match it. */
export interface FaultTarget {
  region?: string | null;
  providerId?: string | null;
  clientToken?: string | null;
}

/**
 * The statement that takes one use of the oldest pending fault matching a call, as text for a
 * prepared statement: each argument is the SQL (a placeholder such as `$1`, or `null`) for that value.
 * Plain `for update` (not `skip locked`) on purpose: concurrent calls queue on the fault row, so a
 * fault with `count: 3` hits exactly three of them instead of letting the others skip past it. The
 * simulated driver also runs it as the first CTE of a call's own statement (one round trip instead
 * of two on every call: docs/benchmarks.md, "Worker: cheaper executed creates").
 */
export function consumeFaultSql(values: { provider: string; action: string; region: string; providerId: string; clientToken: string }): string {
  // The call's region: the one given, else its instance's. A value given as the literal `null` is left
  // out rather than written as a lookup that finds nothing: Postgres prunes those only in a plan made
  // for the call's values, so it kept planning each call again (0.2 ms, more than running it).
  const regionOf = (column: string, value: string) =>
    `(select i.region from simcloud.instances i where i.provider = ${values.provider}::text and i.${column} = ${value}::text)`;
  const sources = [
    ...(values.region === 'null' ? [] : [`${values.region}::text`]),
    ...(values.providerId === 'null' ? [] : [regionOf('provider_id', values.providerId)]),
    ...(values.clientToken === 'null' ? [] : [regionOf('client_token', values.clientToken)]),
  ];
  const regionMatches = sources.length === 0 ? 'false' : `f.region = ${sources.length === 1 ? sources[0] : `coalesce(${sources.join(', ')})`}`;
  return `
    update simcloud.faults set remaining = remaining - 1
    where remaining > 0 and id = (
      select f.id from simcloud.faults f
      where f.provider = ${values.provider}::text
        and f.action in (${values.action}::text, '*')
        and f.remaining > 0
        and (f.region is null or ${regionMatches})
      order by f.id
      limit 1
      for update of f
    )
    returning kind, code, message`;
}

const consumeFaultStatement = consumeFaultSql({ provider: '$1', action: '$2', region: '$3', providerId: '$4', clientToken: '$5' });

/** Atomically takes one use of the oldest pending fault matching a call, if any (see {@link consumeFaultSql}). */
export async function consumeFault(
  sql: Sql,
  provider: string,
  action: Exclude<SimulatedFaultAction, '*'>,
  target: FaultTarget,
): Promise<ConsumedFault | undefined> {
  const [fault] = await sql.unsafe<ConsumedFault[]>(
    consumeFaultStatement,
    [provider, action, target.region ?? null, target.providerId ?? null, target.clientToken ?? null],
    { prepare: true },
  );
  return fault;
}

/** The ProviderError an injected fault throws. */
export function faultError(fault: ConsumedFault, action: string): ProviderError {
  switch (fault.kind) {
    case 'transient':
      return new ProviderError(fault.code ?? 'RequestLimitExceeded', fault.message ?? `Request limit exceeded for ${action} (injected fault)`, { transient: true });
    case 'permanent':
      return new ProviderError(
        fault.code ?? 'InsufficientInstanceCapacity',
        fault.message ?? `Insufficient capacity to ${action} (injected fault)`,
        { transient: false, code: (fault.code ?? 'InsufficientInstanceCapacity') === 'InsufficientInstanceCapacity' ? 'PROVIDER_CAPACITY' : 'PROVIDER_ERROR' },
      );
    case 'lost_response':
      return new ProviderError(
        fault.code ?? 'RequestTimeout',
        fault.message ?? `The ${action} request timed out; it may have been carried out (injected lost response)`,
        { transient: true },
      );
  }
}
