import type { OpenLoopResults } from './runOpenLoopScenarios.ts';
import type { IntegrityReport } from './checkIntegrity.ts';
import type { BenchOptions } from './parseBenchOptions.ts';
import type { TableWrites } from './readTableWrites.ts';
import type { StatementStats } from './readTopStatements.ts';
import type { ActivityCount } from './samplePostgresActivity.ts';
import type { CpuInterval } from './snapshotProcessCpu.ts';
import type { DrainResult } from './waitForOperationsTerminal.ts';
import type { LatencySummary } from './summarizeLatencies.ts';
import type { LatencyWindow } from './latencyWindows.ts';

/** The machine a run was measured on. */
export interface MachineInfo {
  cpuCount: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
}

/** One load phase's figures. */
export interface PhaseFigures {
  label: string;
  latency: LatencySummary;
  sent: number;
  accepted: number;
  errors: number;
  errorSamples: [string, number][];
  wallSeconds: number;
  /** Accepted requests per second of the phase's wall time. */
  acceptedPerSecond: number;
  /** The mutation phase's latencies by 5-s window of when each was due (open loop) or sent. */
  windows?: LatencyWindow[];
}

/** Everything one run of the createVM throughput benchmark measured. */
export interface BenchResults {
  date: string;
  command: string;
  /** The commit measured, and whether the working tree had uncommitted changes outside bench/. */
  revision: string;
  machine: MachineInfo;
  options: Omit<BenchOptions, 'verbose' | 'jsonPath'>;
  /** `{ __typename }`: answered by the gateway alone (its query plan has no subgraph fetch). */
  gatewayOnly: PhaseFigures;
  /** `{ providers { name } }`: gateway + one subgraph HTTP hop, resolved from memory (no database). */
  baseline: PhaseFigures;
  mutations: PhaseFigures;
  /** CPU seconds the load generator (this process) used during the mutation phase. */
  loadGeneratorCpuSeconds: number;
  drain: DrainResult & { afterLastMutationSeconds: number };
  /** The open-loop scenarios (`--open-loop`). */
  openLoop?: OpenLoopResults;
  integrity: IntegrityReport;
  cpu: { baseline: CpuInterval; mutations: CpuInterval; drain: CpuInterval };
  postgresActivity: { sampleCount: number; top: ActivityCount[] };
  /** With `--statements`: pg_stat_statements' top statements of the mutation and the drain phase. */
  topStatements?: { mutations: StatementStats[]; drain: StatementStats[] };
  /** Rows written per table over the mutation phase and its drain (pg_stat_user_tables), with the share of HOT updates. */
  tableWrites: TableWrites[];
  platformLogLines: number;
}
