import type { MetricSeries } from '../__generated__/resolvers-types.ts';
import type { SeriesPlan } from '../domain/planSeriesQuery.ts';
import type { SeriesPoint } from '../domain/readSeries.ts';

/** A plan's points as the API's MetricSeries. */
export function toSeries(plan: SeriesPlan, points: SeriesPoint[]): MetricSeries {
  return { kind: plan.kind, step: plan.step, points };
}
