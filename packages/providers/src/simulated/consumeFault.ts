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
 * Atomically takes one use of the oldest pending fault matching a call, if any. Plain `for update`
 * (not `skip locked`) on purpose: concurrent calls queue on the fault row, so a fault with
 * `count: 3` hits exactly three of them instead of letting the others skip past it.
 */
export async function consumeFault(
  sql: Sql,
  provider: string,
  action: Exclude<SimulatedFaultAction, '*'>,
  target: FaultTarget,
): Promise<ConsumedFault | undefined> {
  const [fault] = await sql<ConsumedFault[]>`
    update simcloud.faults set remaining = remaining - 1
    where remaining > 0 and id = (
      select f.id from simcloud.faults f
      where f.provider = ${provider}
        and f.action in (${action}, '*')
        and f.remaining > 0
        and (f.region is null or f.region = coalesce(
          ${target.region ?? null}::text,
          (select i.region from simcloud.instances i where i.provider = ${provider} and i.provider_id = ${target.providerId ?? null}::text),
          (select i.region from simcloud.instances i where i.provider = ${provider} and i.client_token = ${target.clientToken ?? null}::text)))
      order by f.id
      limit 1
      for update of f
    )
    returning kind, code, message`;
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
