import type { VmResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '../domain/authorize.ts';
import { planSeriesQuery } from '../domain/planSeriesQuery.ts';
import { readLatestSamples } from '../domain/readLatestSamples.ts';
import { readSeries } from '../domain/readSeries.ts';
import { findVms, isUuid } from '../domain/vmDirectory.ts';
import { sampleCursor } from '../domain/sampleCursor.ts';
import { toSeries } from './toSeries.ts';

/**
 * `VM.metrics` and `VM.latestMetrics`. The reference is checked against this subgraph's own
 * projection: a VM of another tenant resolves to null (an id alone grants nothing); a VM the
 * projection has not seen yet resolves with no samples, since none can have been stored for it.
 */
export const VM: VmResolvers = {
  async __resolveReference(reference, context) {
    const identity = authorize(context.principal, 'viewer');
    if (!isUuid(reference.id)) return null;
    const vmId = reference.id.toLowerCase();
    const known = (await findVms(context.services.sql, [vmId])).get(vmId);
    if (known) return known.tenantId === identity.tenantId ? known : null;
    return { vmId, tenantId: identity.tenantId, name: '', provider: '', region: '', status: 'UNKNOWN', providerId: null, labels: {}, deleted: false };
  },
  id: (vm) => vm.vmId,
  async metrics(vm, args, context) {
    authorize(context.principal, 'viewer');
    const { services } = context;
    const plan = planSeriesQuery(
      { kind: args.kind, from: new Date(args.from), to: new Date(args.to), step: args.step, aggregate: args.aggregate },
      { now: services.now(), maxPoints: services.config.maxPoints, retention: services.config.retention },
    );
    const series = await readSeries(services.sql, plan, { kind: 'one', vmId: vm.vmId });
    return toSeries(plan, series.get('')!);
  },
  async latestMetrics(vm, _args, context) {
    authorize(context.principal, 'viewer');
    const samples = await readLatestSamples(context.services.sql, vm.vmId);
    return samples.map((sample) => ({ ...sample, cursor: sampleCursor(sample) }));
  },
};
