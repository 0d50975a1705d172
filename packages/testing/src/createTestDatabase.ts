import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createSql, ensureDatabase, type Sql } from '@novacron/db';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server URL the test files create their own databases on (see globalSetup). */
    postgresServerUrl: string;
  }
}

/** A fresh, empty database for one test file, dropped on dispose. */
export interface TestDatabase extends AsyncDisposable {
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

/** Creates a uniquely named database on the run's Postgres server (see globalSetup). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('postgresServerUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const url = await ensureDatabase(serverUrl, name);
  const sql = createSql(url, { max: 10, applicationName: 'novacron-test' });
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await sql.end({ timeout: 5 });
    const admin = createSql(serverUrl, { max: 1 });
    try {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await admin.end();
    }
  };
  return { url, sql, drop, [Symbol.asyncDispose]: drop };
}
