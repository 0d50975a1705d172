import type { Metrics } from './createMetrics.ts';

/** Options for {@link createHealthScore}. */
export interface HealthScoreOptions {
  metrics: Metrics;
  /** The `component` label: the service name. */
  component: string;
  /** The same check `/ready` answers with. */
  ready: () => Promise<boolean>;
  /** The component's current lag in seconds (event delivery, oldest queued operation); none: 0. */
  lagSeconds?: () => Promise<number> | number;
  /** The window the error ratio is computed over (default 5 minutes). */
  windowSeconds?: number;
  /** Lag that costs nothing (default 1 s). */
  lagAllowanceSeconds?: number;
  now?: () => number;
}

/** A component's health score and what feeds its error ratio. */
export interface HealthScore {
  /** Records the outcome of one unit of work (a request, an operation). */
  record(ok: boolean): void;
  /** The score now, 0–100. */
  compute(): Promise<number>;
}

const slotSeconds = 10;

/**
 * `novacron_system_health_score{component}`: 0 when the component is not ready, otherwise
 * 100 − min(50, 500 × error ratio over the window) − min(50, 10 × seconds of lag past the allowance),
 * so 10 % failing work or 6 s of lag each take half the score. Defined in docs/operations.md.
 * Hand-rolled ring of 10-second slots: prom-client has no windowed ratio, and the score must be a
 * gauge Prometheus can alert on directly.
 */
export function createHealthScore(options: HealthScoreOptions): HealthScore {
  const windowSeconds = options.windowSeconds ?? 300;
  const allowance = options.lagAllowanceSeconds ?? 1;
  const now = options.now ?? Date.now;
  const slots = new Map<number, { total: number; failed: number }>();

  const errorRatio = (): number => {
    const oldest = Math.floor(now() / 1000 / slotSeconds) - Math.ceil(windowSeconds / slotSeconds);
    let total = 0;
    let failed = 0;
    for (const [slot, counts] of slots) {
      if (slot <= oldest) {
        slots.delete(slot);
        continue;
      }
      total += counts.total;
      failed += counts.failed;
    }
    return total === 0 ? 0 : failed / total;
  };

  const compute = async (): Promise<number> => {
    const ready = await options.ready().catch(() => false);
    if (!ready) return 0;
    // A lag that cannot be read (its database query failed) counts as the worst lag.
    const lag = Math.max(0, await Promise.resolve(options.lagSeconds?.() ?? 0).catch(() => Number.POSITIVE_INFINITY));
    const score = 100 - Math.min(50, 500 * errorRatio()) - Math.min(50, 10 * Math.max(0, lag - allowance));
    return Math.max(0, Math.min(100, Math.round(score * 10) / 10));
  };

  options.metrics.gaugeFromCollect('healthScore', async () => [{ labels: { component: options.component }, value: await compute() }]);

  return {
    record(ok) {
      const slot = Math.floor(now() / 1000 / slotSeconds);
      const counts = slots.get(slot) ?? { total: 0, failed: 0 };
      counts.total += 1;
      if (!ok) counts.failed += 1;
      slots.set(slot, counts);
    },
    compute,
  };
}
