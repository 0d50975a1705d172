import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { badInput } from '@novacron/errors';
import { authorize, streamPayload } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import type { MetricKind } from '../db/schema.ts';
import { planSeriesQuery } from '../domain/planSeriesQuery.ts';
import { readFleetSeries } from '../domain/readFleetSeries.ts';
import { findSampleEvent } from '../domain/sampleStream.ts';
import { isUuid } from '../domain/vmDirectory.ts';
import { toSeries } from './toSeries.ts';

export const Query: QueryResolvers = {
  async fleetMetrics(_parent, args, context) {
    const identity = authorize(context, 'viewer');
    const { services } = context;
    const plan = planSeriesQuery(
      { kind: args.kind, from: new Date(args.from), to: new Date(args.to), step: args.step, aggregate: args.aggregate },
      { now: services.now(), maxPoints: services.config.maxPoints, retention: services.config.retention },
    );
    const groups = await readFleetSeries(services.sql, identity.tenantId, plan, { groupBy: args.groupBy, labelKey: args.labelKey, filter: args.filter });
    return groups.map((group) => ({ key: group.key, vmCount: group.vmCount, series: toSeries(plan, group.points) }));
  },
  // The payload field of `vmMetrics` (the kit's streamPayload contract): the sample at a cursor when
  // it is of the caller's tenant, the subscribed VM and one of the subscribed kinds; null otherwise.
  vmMetricsAt: streamPayload({
    authorize: (context: RequestContext) => authorize(context, 'viewer'),
    parseArgs: (args) => {
      const vmId = String(args.vmId);
      if (!isUuid(vmId)) throw badInput('vmId', 'vmId is not a valid VM id');
      const kinds = Array.isArray(args.kinds) && args.kinds.length > 0 ? new Set(args.kinds as MetricKind[]) : null;
      return { vmId: vmId.toLowerCase(), kinds };
    },
    load: async (cursor, { vmId, kinds }, context) => {
      const event = await findSampleEvent(context.services.sql, cursor);
      if (!event || event.tenantId !== context.tenantId || event.sample.vmId !== vmId) return null;
      if (kinds && !kinds.has(event.sample.kind)) return null;
      return { ...event.sample, cursor };
    },
  }),
};
