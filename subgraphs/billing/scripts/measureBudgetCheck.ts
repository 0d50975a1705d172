/**
 * Measures the projection's catch-up (`applyVmEvents`, batches of 500) and what a BLOCK_CREATE budget
 * costs a create: `reserveBudget` (one, then 20 racing) and `listBudgets` for a tenant with N VMs, against a real embedded PostgreSQL.
 * Figures are wall-clock on whatever machine runs it; compare runs on one machine, not across machines.
 *
 *   node subgraphs/billing/scripts/measureBudgetCheck.ts [vmCount=1000]
 */
import { randomUUID } from 'node:crypto';
import { loadCatalog } from '@novacron/catalog';
import { createPostgresFolder, createSql, ensureDatabase, startEmbeddedPostgres } from '@novacron/db';
import { freePort } from '@novacron/testing';
import { createDatabase } from '../src/db/createDatabase.ts';
import { migrateBilling } from '../src/db/migrateBilling.ts';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import type { FollowedVmEvent } from '../src/domain/FollowedVmEvent.ts';
import { createBudget, listBudgets } from '../src/domain/budgets.ts';
import { reserveBudget } from '../src/domain/reserveBudget.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';

const vmCount = Number(process.argv[2] ?? 1000);
const now = epochSeconds('2026-11-16T00:00:00Z');
const scratch = await createPostgresFolder('novacron-billing-measure-');
const postgres = await startEmbeddedPostgres({ dataDir: scratch.dataDir, port: await freePort(), persistent: false });
try {
  const url = await ensureDatabase(postgres.url, 'measure');
  await migrateBilling(url);
  const sql = createSql(url, { max: 20 });
  const db = createDatabase(sql);
  const catalog = loadCatalog();
  // Each VM: created and running on Nov 1, stopped Nov 5, started again Nov 8 (4 events).
  const steps: Array<[string, string]> = [['2026-11-01T00:00:00Z', 'PENDING'], ['2026-11-01T00:01:00Z', 'RUNNING'], ['2026-11-05T00:00:00Z', 'STOPPED'], ['2026-11-08T00:00:00Z', 'RUNNING']];
  const events: FollowedVmEvent[] = [];
  for (let index = 0; index < vmCount; index++) {
    const id = randomUUID();
    steps.forEach(([at, status], step) => {
      const payload = { id, tenantId: 'measure', name: `vm-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', image: 'ubuntu-24.04', status, providerId: step > 0 ? `i-${index}` : null, labels: { env: 'prod' }, version: step + 1, createdAt: steps[0]![0], updatedAt: at };
      events.push({ cursor: String(events.length), tenantId: 'measure', entityId: id, type: step === 0 ? 'CREATED' : 'STATE_CHANGED', version: step + 1, occurredAt: at, payload });
    });
  }
  let started = performance.now();
  for (let offset = 0; offset < events.length; offset += 500) await db.transaction((tx) => applyVmEvents(tx, events.slice(offset, offset + 500), catalog));
  const applyMs = performance.now() - started;
  await createBudget(db, 'measure', { name: 'prod', amount: '1000000', scope: { labels: [{ key: 'env', value: 'prod' }] }, thresholds: [{ percent: 80, basis: 'FORECAST' }], action: 'BLOCK_CREATE' });
  const spec = { provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', image: 'ubuntu-24.04', labels: { env: 'prod' } };
  const { loadBilledVms } = await import('../src/domain/loadBilledVms.ts');
  started = performance.now();
  await loadBilledVms(db, 'measure', { from: epochSeconds('2026-11-01T00:00:00Z'), to: epochSeconds('2026-12-01T00:00:00Z') });
  const loadMs = performance.now() - started;
  started = performance.now();
  await listBudgets(db, 'measure', now);
  const listMs = performance.now() - started;
  started = performance.now();
  await reserveBudget(db, 'measure', { operationId: 'single', spec }, { catalog, now });
  const singleMs = performance.now() - started;
  started = performance.now();
  await Promise.all(Array.from({ length: 20 }, (_, index) => reserveBudget(db, 'measure', { operationId: `race-${index}`, spec }, { catalog, now })));
  const racingMs = performance.now() - started;
  console.log(JSON.stringify({ vmCount, events: events.length, applyEventsMs: Math.round(applyMs), loadBilledVmsMs: Math.round(loadMs), listBudgetsMs: Math.round(listMs), reserveOneMs: Math.round(singleMs), reserve20RacingMs: Math.round(racingMs) }));
  await sql.end();
} finally {
  await postgres.stop();
  await scratch.remove();
}
