import type { VmResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import { planSeriesQuery } from '../domain/planSeriesQuery.ts';
import { readSeries } from '../domain/readSeries.ts';
import { isUuid } from '../domain/vmDirectory.ts';
import { toSeries } from './toSeries.ts';

/**
 * The tenant a VM read acts for: a viewer's own, or null for NovaCron itself (billing's rightsizing
 * reads any tenant's VM with a system identity, which only another subgraph can mint).
 */
function readerTenant(context: RequestContext): string | null {
  return context.principal.kind === 'system' ? null : authorize(context, 'viewer').tenantId;
}

/**
 * `VM.metrics` and `VM.latestMetrics`. The reference is checked against this subgraph's own
 * projection: a VM of another tenant resolves to null (an id alone grants nothing); a VM the
 * projection has not seen yet resolves with no samples, since none can have been stored for it
 * (for a system caller, which has no tenant, it resolves to null).
 */
export const VM: VmResolvers = {
  async __resolveReference(reference, context) {
    const tenantId = readerTenant(context);
    if (!isUuid(reference.id)) return null;
    const vmId = reference.id.toLowerCase();
    const known = await context.loaders.vmById.load(vmId);
    if (known) return tenantId === null || known.tenantId === tenantId ? known : null;
    if (tenantId === null) return null;
    return { vmId, tenantId, name: '', provider: '', region: '', status: 'UNKNOWN', providerId: null, labels: {}, deleted: false };
  },
  id: (vm) => vm.vmId,
  async metrics(vm, args, context) {
    readerTenant(context);
    const { services } = context;
    const plan = planSeriesQuery(
      { kind: args.kind, from: new Date(args.from), to: new Date(args.to), step: args.step, aggregate: args.aggregate },
      { now: services.now(), maxPoints: services.config.maxPoints, retention: services.config.retention },
    );
    const series = await readSeries(services.sql, plan, { kind: 'one', vmId: vm.vmId });
    return toSeries(plan, series.get('')!);
  },
  async latestMetrics(vm, _args, context) {
    readerTenant(context);
    // Every sample gets the sample stream's head (read once per batch, after the samples).
    return context.loaders.latestSamples.load(vm.vmId);
  },
};
