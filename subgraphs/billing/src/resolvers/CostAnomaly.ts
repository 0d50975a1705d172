import type { costAnomalies } from '../db/schema.ts';

/** A stored anomaly. */
export type CostAnomalyRow = typeof costAnomalies.$inferSelect;
type Row = CostAnomalyRow;

/** CostAnomaly fields over a stored row. */
export const CostAnomaly = {
  scope: (row: Row) => row.scopeKey,
  spend: (row: Row) => row.spendMicros,
  baselineMean: (row: Row) => row.baselineMeanMicros,
  baselineStddev: (row: Row) => row.baselineStddevMicros,
};
