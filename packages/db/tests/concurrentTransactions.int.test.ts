import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createSql, type Sql } from '../src/index.ts';

let db: TestDatabase;
const pools: Sql[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(pools.map((sql) => sql.end({ timeout: 5 })));
  await db?.drop();
});

/** What one statement saw: its isolation level (REPEATABLE READ only inside the test's transactions). */
type Outcome = { kind: 'transaction' | 'query'; isolation?: string; backends?: number; error?: string };

/**
 * A saturated two-connection pool, as the worker's pool is under the 10,000-VM benchmark: each
 * connection busy with a slow statement, `plain` plain queries pipelined behind them (postgres.js
 * pipelines up to `max_pipeline`, 100, statements per connection), then two `sql.begin`s and a few
 * more plain queries. Around 2 × 99 plain queries, a BEGIN is the statement that fills a
 * connection's pipeline.
 */
async function burst(plain: number): Promise<Outcome[]> {
  const sql = createSql(db.url, { max: 2, applicationName: `novacron-burst-${plain}` });
  pools.push(sql);
  await Promise.all([sql`select 1`, sql`select 1`]);
  const sleepers = [sql`select pg_sleep(0.2)`.execute(), sql`select pg_sleep(0.2)`.execute()];
  // `.then` at once, not `await` in an async function: a query is dispatched when it is first awaited,
  // and `sql.begin` dispatches its BEGIN synchronously, so awaiting would let the BEGINs jump the queue.
  const query = (): Promise<Outcome> =>
    sql<{ isolation: string }[]>`select current_setting('transaction_isolation') as isolation`.then(
      ([row]) => ({ kind: 'query', isolation: row?.isolation }),
      (error: unknown) => ({ kind: 'query', error: (error as { code?: string }).code ?? String(error) }),
    );
  const transaction = async (): Promise<Outcome> => {
    try {
      return await sql.begin('isolation level repeatable read', async (tx) => {
        const [first] = await tx<{ isolation: string; pid: number }[]>`
          select current_setting('transaction_isolation') as isolation, pg_backend_pid() as pid`;
        const [second] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        return { kind: 'transaction' as const, isolation: first?.isolation, backends: new Set([first?.pid, second?.pid]).size };
      });
    } catch (error) {
      return { kind: 'transaction', error: (error as { code?: string }).code ?? String(error) };
    }
  };
  const outcomes = await Promise.all([
    ...Array.from({ length: plain }, query),
    transaction(),
    transaction(),
    ...Array.from({ length: 10 }, query),
  ]);
  await Promise.all(sleepers);
  // No connection of the pool is left inside a transaction.
  const [stuck] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity where application_name = ${`novacron-burst-${plain}`} and state like 'idle in transaction%'`;
  if ((stuck?.n ?? 0) > 0) outcomes.push({ kind: 'query', error: `${stuck?.n} connection(s) left idle in transaction` });
  return outcomes;
}

describe('sql.begin on a saturated pool', () => {
  it('reserves the connection of every BEGIN, also the one that fills a pipeline, and runs no plain query inside a transaction', async () => {
    const outcomes: Outcome[] = [];
    for (const plain of [196, 197, 198, 199, 200]) outcomes.push(...(await burst(plain)));

    // Before the driver fix: UNSAFE_TRANSACTION for the BEGIN that filled a pipeline (it went out
    // without reserving its connection), and the plain queries after it ran inside its transaction.
    expect(outcomes.filter((outcome) => outcome.error).map((outcome) => `${outcome.kind}: ${outcome.error}`)).toEqual([]);
    const transactions = outcomes.filter((outcome) => outcome.kind === 'transaction');
    expect(transactions).toHaveLength(10);
    expect(transactions.every((outcome) => outcome.isolation === 'repeatable read' && outcome.backends === 1)).toBe(true);
    const queries = outcomes.filter((outcome) => outcome.kind === 'query');
    expect(queries).toHaveLength(196 + 197 + 198 + 199 + 200 + 5 * 10);
    expect(queries.filter((outcome) => outcome.isolation !== 'read committed')).toEqual([]);
  });
});
