import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, type TestDatabase } from '@novacron/testing';
import { autogroupsEnabled, cgroupProcesses, createIdleCgroup, createPostgresFolder, createSql, lowerBackendPriority, readAutogroup, startEmbeddedPostgres, type Sql } from '../src/index.ts';

// The test cluster is an embedded Postgres on this machine, run by this user or (as root) by a
// `postgres` user whose processes root may renice: the case lowerBackendPriority is for.
let db: TestDatabase;
const pools: Sql[] = [];
// Roles belong to the whole cluster, which other test files share.
const plainRole = `nc_prio_plain_${randomBytes(4).toString('hex')}`;
function pool(applicationName: string, url = db.url): Sql {
  const sql = createSql(url, { max: 1, applicationName });
  pools.push(sql);
  return sql;
}
const backendPid = async (sql: Sql) => (await sql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(pools.map((sql) => sql.end({ timeout: 1 })));
  await db?.sql.unsafe(`drop role if exists ${plainRole}`);
  await db?.drop();
});

describe('lowerBackendPriority', () => {
  it("lowers the named pools' backends on this machine, and no other backend", async () => {
    const worker = pool('nc-prio-worker');
    const other = pool('nc-prio-other');
    // The same name in another database of the cluster (another platform's worker, another test's) is not ours.
    const elsewhere = await createTestDatabase();
    const sameNameElsewhere = pool('nc-prio-worker', elsewhere.url);
    const [workerPid, otherPid, elsewherePid] = [await backendPid(worker), await backendPid(other), await backendPid(sameNameElsewhere)];
    const otherBefore = getPriority(otherPid);
    const ownGroupBefore = await readAutogroup('self');
    const reasons: string[] = [];
    const priority = lowerBackendPriority({ sql: worker, applicationNames: ['nc-prio-worker', 'nc-prio-jobs'], nice: 7, intervalMs: 60_000, onUnavailable: (reason) => reasons.push(reason) });
    try {
      expect(await priority.ready).toBe(true);
      expect(reasons).toEqual([]);
      expect(getPriority(workerPid)).toBe(7);
      expect(getPriority(otherPid)).toBe(otherBefore);
      expect(getPriority(elsewherePid)).toBe(otherBefore);
      expect(priority.lowered()).toBe(1);
      if (await autogroupsEnabled()) {
        // Each backend leads a session of its own (Postgres calls setsid), so its autogroup is its
        // alone: that group is lowered too, since the nice value inside a one-process group changes nothing.
        const [workerGroup, otherGroup, ownGroup] = [await readAutogroup(workerPid), await readAutogroup(otherPid), await readAutogroup('self')];
        expect(workerGroup).toMatchObject({ nice: 7 });
        expect(otherGroup).toMatchObject({ nice: 0 });
        // This process may have no autogroup of its own to read (null): a tree under PID 1 that never
        // called setsid, as a CI runner's, stays in the root group, which the kernel does not print.
        expect(workerGroup!.id).not.toBe(ownGroup?.id);
        expect(workerGroup!.id).not.toBe(otherGroup!.id);
        expect(ownGroup).toEqual(ownGroupBefore);
        expect(priority.loweredGroups()).toBe(1);
      } else {
        expect(priority.loweredGroups()).toBe(0);
      }

      // A backend that connects later (a pool growing, graphile-worker's own pool) is found at the next scan.
      const jobs = pool('nc-prio-jobs');
      const jobsPid = await backendPid(jobs);
      expect(getPriority(jobsPid)).toBe(otherBefore);
      await priority.scan();
      expect(getPriority(jobsPid)).toBe(7);
      expect(priority.lowered()).toBe(2);
      if (await autogroupsEnabled()) expect(await readAutogroup(jobsPid)).toMatchObject({ nice: 7 });
      // Already lowered: not counted again.
      await priority.scan();
      expect(priority.lowered()).toBe(2);
      expect(getPriority(otherPid)).toBe(otherBefore);
    } finally {
      priority.stop();
      await sameNameElsewhere.end({ timeout: 1 });
      await elsewhere.drop();
    }
  });

  it('moves the backends into the CPU cgroup it is given, and lowers their autogroups instead when it cannot', async () => {
    const worker = createSql(db.url, { max: 1, applicationName: 'nc-prio-cg-worker' });
    const other = pool('nc-prio-cg-other');
    const [workerPid, otherPid] = [await backendPid(worker), await backendPid(other)];
    try {
      // A group that cannot be written to (here: none at that path) is reported once, and the backend
      // is still lowered: nice value, and autogroup where the kernel has them.
      const reasons: string[] = [];
      const fallback = lowerBackendPriority({ sql: worker, applicationNames: ['nc-prio-cg-worker'], nice: 5, intervalMs: 60_000, cgroup: '/nonexistent/novacron-background', onCgroupUnavailable: (reason) => reasons.push(reason) });
      expect(await fallback.ready).toBe(true);
      fallback.stop();
      expect(reasons).toEqual([expect.stringContaining('ENOENT')]);
      expect([fallback.lowered(), fallback.inCgroup()]).toEqual([1, 0]);
      expect(getPriority(workerPid)).toBe(5);
      if (await autogroupsEnabled()) expect(await readAutogroup(workerPid)).toMatchObject({ nice: 5 });

      const made = await createIdleCgroup('novacron-test-backends');
      // Where this machine lets no one make CPU cgroups, cpuCgroup.int.test.ts checks the reason.
      if (typeof made === 'string') return;
      try {
        const priority = lowerBackendPriority({ sql: worker, applicationNames: ['nc-prio-cg-worker'], nice: 6, intervalMs: 60_000, cgroup: made.path, onCgroupUnavailable: (reason) => reasons.push(reason) });
        expect(await priority.ready).toBe(true);
        priority.stop();
        expect(reasons).toHaveLength(1);
        expect([priority.lowered(), priority.inCgroup()]).toEqual([1, 1]);
        expect(await cgroupProcesses(made.path)).toEqual([workerPid]);
        expect(getPriority(workerPid)).toBe(6);
        expect(await readFile(`/proc/${otherPid}/cgroup`, 'utf8')).not.toContain(made.path.split('/').pop());
      } finally {
        // The backend ends with its connection; then the group is empty and can go.
        await worker.end({ timeout: 1 });
        expect(await made.remove()).toBe(true);
      }
    } finally {
      await worker.end({ timeout: 1 });
    }
  });

  it('stops and says why when it cannot prove the database is on this machine, changing nothing', async () => {
    // A role that may not read data_directory cannot tell where the server's files are.
    await db.sql.unsafe(`create role ${plainRole} login password 'plain'`);
    const url = new URL(db.url);
    url.username = plainRole;
    url.password = 'plain';
    const plain = pool('nc-prio-plain', url.toString());
    const plainPid = await backendPid(plain);
    const before = getPriority(plainPid);
    const reasons: string[] = [];
    const priority = lowerBackendPriority({ sql: plain, applicationNames: ['nc-prio-plain'], nice: 9, intervalMs: 60_000, onUnavailable: (reason) => reasons.push(reason) });
    expect(await priority.ready).toBe(false);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/cannot read the server's data_directory/);
    await priority.scan();
    expect(getPriority(plainPid)).toBe(before);
    expect(priority.lowered()).toBe(0);
    expect(reasons).toHaveLength(1);
  });

  it('accepts nice values from 1 to 19 only', () => {
    for (const nice of [0, 20, 2.5]) expect(() => lowerBackendPriority({ sql: pool('nc-prio-range'), applicationNames: ['x'], nice })).toThrow(RangeError);
  });
});

describe('lowerBackendPriority through a PostgreSQL restart', () => {
  it("finds the new postmaster's backends after the server restarts", async () => {
    const { dataDir, remove } = await createPostgresFolder('novacron-priority-restart-');
    const port = await freePort();
    let server = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const sql = createSql(server.url, { max: 1, applicationName: 'nc-prio-restart' });
    const reasons: string[] = [];
    const priority = lowerBackendPriority({ sql, applicationNames: ['nc-prio-restart'], nice: 5, intervalMs: 60_000, onUnavailable: (reason) => reasons.push(reason) });
    try {
      expect(await priority.ready).toBe(true);
      const first = await backendPid(sql);
      await priority.scan();
      expect(getPriority(first)).toBe(5);

      await server.stop();
      server = await startEmbeddedPostgres({ dataDir, port, persistent: true });
      // The pool reconnects to the new server (its first query may meet the closed connection).
      const second = await backendPid(sql).catch(() => backendPid(sql));
      expect(second).not.toBe(first);
      expect(getPriority(second)).not.toBe(5);
      // One scan finds the old postmaster gone, the next proves the new one and lowers the backend.
      await priority.scan();
      await priority.scan();
      // The new server is proven local (its start, slow under load, must not read as another server's).
      expect(reasons).toEqual([]);
      expect(getPriority(second)).toBe(5);
    } finally {
      priority.stop();
      await sql.end({ timeout: 1 });
      await server.stop();
      await remove();
    }
  });
});
