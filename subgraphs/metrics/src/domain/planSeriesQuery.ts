import { badInput } from '@novacron/errors';
import type { MetricKind } from '../db/schema.ts';
import type { RetentionSettings } from './retention.ts';

/** How each point aggregates the samples of its bucket. */
export type MetricAggregate = 'AVG' | 'MIN' | 'MAX' | 'P95' | 'P99' | 'SUM';

/** Where a series is read from: raw samples, or the 5-minute or 1-hour rollups. */
export type Resolution = 'RAW' | 'ROLLUP_5M' | 'ROLLUP_1H';

/** A series request as the API receives it. */
export interface SeriesRequest {
  kind: MetricKind;
  from: Date;
  to: Date;
  /** Bucket width in seconds. */
  step: number;
  aggregate: MetricAggregate;
}

/** A validated request: aligned buckets, how many, and the resolution to read. */
export interface SeriesPlan extends SeriesRequest {
  /** Start of the first bucket: `from` rounded down to a multiple of `step` since the epoch. */
  firstBucket: Date;
  /** End of the last bucket (exclusive). */
  end: Date;
  points: number;
  resolution: Resolution;
}

/** Options of {@link planSeriesQuery}. */
export interface PlanOptions {
  now: Date;
  maxPoints: number;
  retention: RetentionSettings;
}

/** Ranges up to this long are read from raw samples when raw data still covers them (exact percentiles). */
export const rawRangeLimitMs = 6 * 3_600_000;

/**
 * Validates a series request (BAD_USER_INPUT naming the field: step, to, points) and chooses the
 * resolution from the step and the range: 1-hour rollups when the step is a whole number of hours
 * and the range is longer than 7 days or older than the 5-minute rollups' retention; 5-minute rollups
 * when the step is a whole number of 5 minutes and the range is longer than 6 hours or older than raw
 * retention; raw samples otherwise. Buckets then always hold whole rollup buckets.
 */
export function planSeriesQuery(request: SeriesRequest, options: PlanOptions): SeriesPlan {
  const { step, from, to } = request;
  if (!Number.isInteger(step) || step <= 0) throw badInput('step', 'step must be a positive whole number of seconds');
  if (Number.isNaN(from.getTime())) throw badInput('from', 'from must be a date-time');
  if (Number.isNaN(to.getTime())) throw badInput('to', 'to must be a date-time');
  if (to.getTime() <= from.getTime()) throw badInput('to', 'to must be after from');
  const stepMs = step * 1000;
  const firstBucketMs = Math.floor(from.getTime() / stepMs) * stepMs;
  const points = Math.ceil((to.getTime() - firstBucketMs) / stepMs);
  if (points > options.maxPoints) {
    throw badInput('step', `this range and step make ${points} points; at most ${options.maxPoints} are returned per series: widen the step or narrow the range`, {
      points,
      maxPoints: options.maxPoints,
    });
  }
  const rangeMs = to.getTime() - from.getTime();
  const now = options.now.getTime();
  const day = 86_400_000;
  const rawCovers = firstBucketMs >= now - options.retention.rawDays * day;
  const fiveMinuteCovers = firstBucketMs >= now - options.retention.rollup5mDays * day;
  let resolution: Resolution = 'RAW';
  if (step % 3600 === 0 && (rangeMs > 7 * day || !fiveMinuteCovers)) resolution = 'ROLLUP_1H';
  else if (step % 300 === 0 && (rangeMs > rawRangeLimitMs || !rawCovers)) resolution = 'ROLLUP_5M';
  return { ...request, firstBucket: new Date(firstBucketMs), end: new Date(firstBucketMs + points * stepMs), points, resolution };
}
