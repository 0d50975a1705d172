import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createSql, isTransientDatabaseError, type Sql } from '../src/index.ts';

let db: TestDatabase;
const pools: Sql[] = [];
function pool(options: Parameters<typeof createSql>[1]): Sql {
  const sql = createSql(db.url, { max: 2, ...options });
  pools.push(sql);
  return sql;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table stuck (id int primary key, n int not null default 0)`;
  await db.sql`insert into stuck (id) values (1), (2), (3)`;
});
afterAll(async () => {
  await Promise.all(pools.map((sql) => sql.end({ timeout: 1 })));
  await db?.drop();
});

describe('Postgres timeouts on every pool', () => {
  it('sets statement, lock and idle-in-transaction timeouts by default', async () => {
    const [row] = await pool({})<{ statement: string; lock: string; idle: string }[]>`
      select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock,
             current_setting('idle_in_transaction_session_timeout') as idle`;
    expect(row).toEqual({ statement: '30s', lock: '10s', idle: '1min' });
  });

  it('lets the database URL override the timeouts for a whole process', async () => {
    const url = new URL(db.url);
    url.searchParams.set('lock_timeout', '1234');
    const sql = createSql(url.toString(), { max: 1 });
    pools.push(sql);
    const [row] = await sql<{ lock: string }[]>`select current_setting('lock_timeout') as lock`;
    expect(row?.lock).toBe('1234ms');
  });

  it('answers a writer blocked by a stuck transaction with a lock-timeout error instead of hanging', async () => {
    const holder = await db.sql.reserve();
    try {
      await holder`begin`;
      await holder`update stuck set n = n + 1 where id = 1`;
      const writer = pool({ lockTimeoutMs: 200 });
      const error = await writer`update stuck set n = n + 1 where id = 1`.then(() => null, (caught: unknown) => caught);
      expect(error).toMatchObject({ code: '55P03', message: expect.stringMatching(/lock timeout/) });
      expect(isTransientDatabaseError(error)).toBe(true);
    } finally {
      await holder`rollback`;
      holder.release();
    }
  });

  it('cancels a statement that runs past statement_timeout', async () => {
    const error = await pool({ statementTimeoutMs: 200 })`select pg_sleep(10)`.then(() => null, (caught: unknown) => caught);
    expect(error).toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
  });

  it('ends a transaction left idle, so the rows it locked become writable again', async () => {
    const forgetful = pool({ idleInTransactionTimeoutMs: 300 });
    const holder = await forgetful.reserve();
    await holder`begin`;
    await holder`update stuck set n = n + 1 where id = 2`;
    // The holder now sits idle in its transaction, as a request that crashed mid-transaction would.
    const writer = pool({ lockTimeoutMs: 0 });
    const [row] = await writer<{ n: number }[]>`update stuck set n = n + 10 where id = 2 returning n`;
    expect(row?.n).toBe(10);
    holder.release();
  });
});

describe('isTransientDatabaseError', () => {
  it('recognises resets, restarts, serialization failures and lock timeouts, also wrapped as a cause', () => {
    for (const code of ['CONNECTION_CLOSED', 'ECONNRESET', 'ECONNREFUSED', '57P01', '57P03', '40001', '40P01', '55P03', '08006']) {
      expect(isTransientDatabaseError(Object.assign(new Error(code), { code }))).toBe(true);
    }
    const wrapped = new Error('Failed query: update …', { cause: Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }) });
    expect(isTransientDatabaseError(wrapped)).toBe(true);
    // node-postgres (graphile-worker's driver) reports a dropped connection without a code.
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated'))).toBe(true);
    expect(isTransientDatabaseError(new Error('relation "x" does not exist: Connection terminated unexpectedly'))).toBe(false);
  });

  it('leaves real errors alone', () => {
    for (const code of ['23505', '42P01', '22P02', '57014', undefined]) {
      expect(isTransientDatabaseError(Object.assign(new Error('x'), { code }))).toBe(false);
    }
    expect(isTransientDatabaseError(new Error('no code'))).toBe(false);
    expect(isTransientDatabaseError(null)).toBe(false);
  });
});
