/** What every chaos scenario (R1–R4) is given. */
export interface ChaosOptions {
  /** The CI-sized variant: fewer clients and mutations, shorter outages. */
  short: boolean;
  /** Progress lines. */
  log: (line: string) => void;
}

/** What every chaos scenario answers: figures to print and record, and whether its guarantees held. */
export interface ChaosResult {
  name: string;
  passed: boolean;
  figures: Record<string, number | string>;
}

/** A scenario module: `bench/src/chaos/<name>.ts` exporting `run`. */
export interface ChaosScenario {
  run(options: ChaosOptions): Promise<ChaosResult>;
}
