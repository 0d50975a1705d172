import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new folder for an embedded cluster, from {@link createPostgresFolder}. */
export interface PostgresFolder {
  /** The folder itself (callers may keep other files of the run in it). */
  folder: string;
  /** Where the cluster's data goes: `data` inside the folder, for {@link startEmbeddedPostgres}. */
  dataDir: string;
  /** Removes the folder and everything in it. */
  remove(): Promise<void>;
}

/**
 * A new folder in the system temp directory (named from `prefix`) for an embedded cluster of its own
 * (tests, benches). As root, Postgres runs as the `postgres` user, which must be able to enter it:
 * `mkdtemp` makes it 0700, so it is opened to 0755.
 */
export async function createPostgresFolder(prefix: string): Promise<PostgresFolder> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  await chmod(folder, 0o755);
  return { folder, dataDir: join(folder, 'data'), remove: () => rm(folder, { recursive: true, force: true }) };
}
