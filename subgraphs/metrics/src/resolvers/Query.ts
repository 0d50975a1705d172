import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '../domain/authorize.ts';
import { planSeriesQuery } from '../domain/planSeriesQuery.ts';
import { readFleetSeries } from '../domain/readFleetSeries.ts';
import { toSeries } from './toSeries.ts';

export const Query: QueryResolvers = {
  async fleetMetrics(_parent, args, context) {
    const identity = authorize(context.principal, 'viewer');
    const { services } = context;
    const plan = planSeriesQuery(
      { kind: args.kind, from: new Date(args.from), to: new Date(args.to), step: args.step, aggregate: args.aggregate },
      { now: services.now(), maxPoints: services.config.maxPoints, retention: services.config.retention },
    );
    const groups = await readFleetSeries(services.sql, identity.tenantId, plan, { groupBy: args.groupBy, labelKey: args.labelKey, filter: args.filter });
    return groups.map((group) => ({ key: group.key, vmCount: group.vmCount, series: toSeries(plan, group.points) }));
  },
};
