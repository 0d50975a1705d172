import type { Sql } from '@novacron/db';

/** Options for {@link databaseFingerprint}. */
export interface DatabaseFingerprintOptions {
  /** Schemas whose tables are digested. Default: the vms subgraph's and the simulated cloud's. */
  schemas?: string[];
  /** Tables left out, as `schema.table`. Default: the audit log, which records denied attempts by design. */
  except?: string[];
}

/**
 * A row count and an md5 of the contents of every table a request could write, by `schema.table`.
 * Equal before and after a request means it wrote nothing: no row added, removed or changed
 * (stronger than counting rows: a cancelled operation or an overwritten setting changes no count).
 * Only meaningful while no operation is running, since workers write as they go.
 */
export async function databaseFingerprint(sql: Sql, options: DatabaseFingerprintOptions = {}): Promise<Record<string, string>> {
  const schemas = options.schemas ?? ['vms', 'simcloud'];
  const except = new Set(options.except ?? ['vms.audit_log']);
  const tables = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema = any(${schemas}) and table_type = 'BASE TABLE' order by 1, 2`;
  const fingerprint: Record<string, string> = {};
  for (const { schema, name } of tables) {
    const qualified = `${schema}.${name}`;
    if (except.has(qualified)) continue;
    const [row] = await sql.unsafe<{ n: number; digest: string }[]>(
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest from ${quote(schema)}.${quote(name)} t`,
    );
    fingerprint[qualified] = `${row?.n ?? 0} rows, md5 ${row?.digest ?? ''}`;
  }
  return fingerprint;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
