import type { Logger } from '@novacron/server-kit';
import type { BillingServices } from './context.ts';
import { defaultAnomalyRule } from './domain/costAnomaly.ts';
import { defaultDeliveryPolicy } from './domain/budgetWebhooks.ts';
import { parseUsd } from './domain/money.ts';
import { runBillingTasks } from './domain/runBillingTasks.ts';
import { startOfUtcDay } from './domain/utcCalendar.ts';

/**
 * Runs {@link runBillingTasks} every `tasksIntervalMs`. A plain timer loop, hand-rolled: each pass is
 * idempotent and replica-safe, so it needs no job queue or leader election.
 */
export function startBillingTasks(services: BillingServices, logger: Logger): { stop(): Promise<void> } {
  const { billing } = services.config;
  const anomalyRule = { ...defaultAnomalyRule, minimumExcessMicros: parseUsd(billing.anomalyMinimumUsd) };
  const deliveryPolicy = { ...defaultDeliveryPolicy, maxAttempts: billing.webhookMaxAttempts, baseDelaySeconds: billing.webhookBaseDelaySeconds };
  let judgedDay = -1;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    const now = services.now();
    const today = startOfUtcDay(now);
    try {
      const report = await runBillingTasks(services.db, { now, judgeAnomalies: judgedDay !== today, anomalyRule, deliveryPolicy, secretKeys: services.secretKeys });
      judgedDay = today;
      if (report.alerts + report.anomalies + report.deliveries + report.expiredHolds > 0) logger.info(report, 'billing tasks');
    } catch (error) {
      logger.warn({ err: error }, 'billing tasks failed; retrying at the next interval');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(pass);
  }, billing.tasksIntervalMs);
  timer.unref();
  running = running.then(pass);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
