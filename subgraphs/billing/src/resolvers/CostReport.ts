import type { CostBucket as Bucket, CostReport as Report } from '../domain/costReport.ts';
import { dateOf } from '../domain/utcCalendar.ts';

/** Report instants are epoch seconds in the domain, DateTimes on the wire. */
export const CostReport = {
  from: (report: Report) => dateOf(report.from),
  to: (report: Report) => dateOf(report.to),
};

/** Bucket bounds as DateTimes. */
export const CostBucket = {
  start: (bucket: Bucket) => dateOf(bucket.start),
  end: (bucket: Bucket) => dateOf(bucket.end),
};
