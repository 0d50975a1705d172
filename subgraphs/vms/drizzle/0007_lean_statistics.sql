-- ANALYZE samples 300 rows per unit of the largest statistics target among a table's columns:
-- 30,000 rows at the default target of 100, so each automatic ANALYZE of these tables read most of
-- their pages and sorted 30,000 jsonb snapshots. The event logs and the operations table grow by
-- about 4 rows per create and autovacuum re-analyses them after every 10 % of growth, so at
-- 300 creates/s their ANALYZEs took about a third of a core (docs/benchmarks.md, "Statistics").
-- Their queries go by key, by (txid, seq) order, by a status, a tenant or a VM, none by the jsonb
-- bodies: a target of 10 (a 3,000-row sample, 10 most common values, 10 histogram buckets) keeps
-- those estimates, and the jsonb columns need none. vms.vms keeps the default: its labels, status
-- and placement columns are what users filter on.
-- A column added to one of these tables later starts at the default target and brings back the
-- 30,000-row sample: set its target too (tests/leanStatistics.int.test.ts checks every column).
DO $$
DECLARE
  col record;
BEGIN
  FOR col IN
    SELECT a.attrelid::regclass AS tbl, a.attname, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_attribute a
    WHERE a.attrelid IN ('vms.operations'::regclass, 'vms.operation_events'::regclass, 'vms.vm_events'::regclass, 'vms.audit_log'::regclass)
      AND a.attnum > 0 AND NOT a.attisdropped
  LOOP
    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', col.tbl, col.attname, CASE WHEN col.type = 'jsonb' THEN 0 ELSE 10 END);
  END LOOP;
END
$$;
