import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrate } from '../src/index.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function writeMigrationFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'novacron-migrations-'));
  await mkdir(join(folder, 'meta'));
  await writeFile(join(folder, '0000_init.sql'), 'create schema demo;\n--> statement-breakpoint\ncreate table demo.things (id int primary key);\n');
  await writeFile(
    join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries: [{ idx: 0, version: '7', when: 1, tag: '0000_init', breakpoints: true }] }),
  );
  return folder;
}

describe('migrate', () => {
  it('applies committed migrations once even when started concurrently', async () => {
    const folder = await writeMigrationFolder();
    await Promise.all([migrate(db.url, { migrationsFolder: folder, schema: 'demo' }), migrate(db.url, { migrationsFolder: folder, schema: 'demo' })]);
    const applied = await db.sql`select count(*)::int as n from drizzle.demo_migrations`;
    expect(applied[0]?.n).toBe(1);
    await db.sql`insert into demo.things (id) values (1)`;
    const rows = await db.sql`select id from demo.things`;
    expect(rows.map((row) => row.id)).toEqual([1]);
  });
});
