-- The metrics subgraph's storage. Hand-written: drizzle-kit cannot declare range partitions or the
-- partition maintenance function. src/db/schema.ts mirrors the tables for typed queries.
CREATE SCHEMA IF NOT EXISTS "metrics";
--> statement-breakpoint
CREATE TYPE "metrics"."metric_kind" AS ENUM ('CPU_PERCENT', 'MEMORY_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES');
--> statement-breakpoint
-- Projection of the vms subgraph's VM stream (never read from vms tables).
CREATE TABLE "metrics"."vms" (
	"vm_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"status" text NOT NULL,
	"provider_id" text,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "vms_tenant_idx" ON "metrics"."vms" ("tenant_id");
--> statement-breakpoint
CREATE INDEX "vms_provider_id_idx" ON "metrics"."vms" ("provider", "provider_id") WHERE "provider_id" IS NOT NULL;
--> statement-breakpoint
-- When each VM was RUNNING: a closed interval per run, an open one (stopped_at null) for the current run.
CREATE TABLE "metrics"."vm_running_intervals" (
	"vm_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"stopped_at" timestamp with time zone,
	CONSTRAINT "vm_running_intervals_pk" PRIMARY KEY ("vm_id", "started_at")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "vm_running_intervals_open_idx" ON "metrics"."vm_running_intervals" ("vm_id") WHERE "stopped_at" IS NULL;
--> statement-breakpoint
-- Raw samples, one partition per UTC day. The primary key makes (vm, kind, ts) unique: last write wins.
CREATE TABLE "metrics"."samples" (
	"vm_id" uuid NOT NULL,
	"kind" "metrics"."metric_kind" NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"value" double precision NOT NULL,
	CONSTRAINT "samples_pk" PRIMARY KEY ("vm_id", "kind", "ts")
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
-- Rollups, one partition per UTC month: count/sum/min/max and a log-bucket sketch (keys ascending, counts).
CREATE TABLE "metrics"."rollups_5m" (
	"vm_id" uuid NOT NULL,
	"kind" "metrics"."metric_kind" NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"sum" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"sketch_keys" integer[] NOT NULL,
	"sketch_counts" integer[] NOT NULL,
	CONSTRAINT "rollups_5m_pk" PRIMARY KEY ("vm_id", "kind", "bucket_start")
) PARTITION BY RANGE ("bucket_start");
--> statement-breakpoint
CREATE TABLE "metrics"."rollups_1h" (
	"vm_id" uuid NOT NULL,
	"kind" "metrics"."metric_kind" NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"sum" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"sketch_keys" integer[] NOT NULL,
	"sketch_counts" integer[] NOT NULL,
	CONSTRAINT "rollups_1h_pk" PRIMARY KEY ("vm_id", "kind", "bucket_start")
) PARTITION BY RANGE ("bucket_start");
--> statement-breakpoint
-- Buckets whose raw samples changed since they were last rolled up (written in the ingest transaction).
CREATE TABLE "metrics"."rollup_pending_5m" (
	"vm_id" uuid NOT NULL,
	"kind" "metrics"."metric_kind" NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_pending_5m_pk" PRIMARY KEY ("vm_id", "kind", "bucket_start")
);
--> statement-breakpoint
CREATE TABLE "metrics"."rollup_pending_1h" (
	"vm_id" uuid NOT NULL,
	"kind" "metrics"."metric_kind" NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	CONSTRAINT "rollup_pending_1h_pk" PRIMARY KEY ("vm_id", "kind", "bucket_start")
);
--> statement-breakpoint
-- The last point of each OTLP cumulative stream, to turn cumulative sums into per-interval deltas.
CREATE TABLE "metrics"."otlp_cumulative_streams" (
	"stream_key" text PRIMARY KEY NOT NULL,
	"vm_id" uuid NOT NULL,
	"start_time_ns" text NOT NULL,
	"time_ns" text NOT NULL,
	"value" double precision NOT NULL
);
--> statement-breakpoint
-- Samples refused at ingest (unknown VM, another tenant's VM, outside the retention window…), counted.
CREATE TABLE "metrics"."ingest_refusals" (
	"tenant_id" text NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"count" bigint NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ingest_refusals_pk" PRIMARY KEY ("tenant_id", "source", "reason")
);
--> statement-breakpoint
-- Creates the partitions the retention window needs (and `ahead_days` of raw, one month of rollups
-- ahead), and drops those wholly older than retention. Dropping a partition is instant; deleting
-- rows is not. Returns what it did, one row per partition.
CREATE FUNCTION "metrics"."maintain_partitions"(
	p_now timestamptz,
	p_raw_retention interval,
	p_rollup_5m_retention interval,
	p_rollup_1h_retention interval,
	p_raw_ahead_days integer
) RETURNS TABLE ("action" text, "partition_name" text)
LANGUAGE plpgsql
-- UTC inside, whatever the session's time zone: day and month boundaries are UTC.
SET "TimeZone" TO 'UTC'
AS $$
DECLARE
	v_day timestamptz;
	v_month timestamptz;
	v_name text;
	v_parent text;
	v_retention interval;
	v_upper timestamptz;
	v_partition record;
BEGIN
	-- Raw samples: one partition per UTC day.
	v_day := date_trunc('day', p_now - p_raw_retention);
	WHILE v_day < date_trunc('day', p_now) + make_interval(days => p_raw_ahead_days + 1) LOOP
		v_name := 'samples_d' || to_char(v_day, 'YYYYMMDD');
		IF to_regclass('metrics.' || v_name) IS NULL THEN
			EXECUTE format('CREATE TABLE metrics.%I PARTITION OF metrics.samples FOR VALUES FROM (%L) TO (%L)', v_name, v_day, v_day + interval '1 day');
			action := 'created'; partition_name := v_name; RETURN NEXT;
		END IF;
		v_day := v_day + interval '1 day';
	END LOOP;
	-- Rollups: one partition per UTC month, from the retention start to next month.
	FOREACH v_parent IN ARRAY ARRAY['rollups_5m', 'rollups_1h'] LOOP
		v_retention := CASE v_parent WHEN 'rollups_5m' THEN p_rollup_5m_retention ELSE p_rollup_1h_retention END;
		v_month := date_trunc('month', p_now - v_retention);
		WHILE v_month <= date_trunc('month', p_now) + interval '1 month' LOOP
			v_name := v_parent || '_m' || to_char(v_month, 'YYYYMM');
			IF to_regclass('metrics.' || v_name) IS NULL THEN
				EXECUTE format('CREATE TABLE metrics.%I PARTITION OF metrics.%I FOR VALUES FROM (%L) TO (%L)', v_name, v_parent, v_month, v_month + interval '1 month');
				action := 'created'; partition_name := v_name; RETURN NEXT;
			END IF;
			v_month := v_month + interval '1 month';
		END LOOP;
	END LOOP;
	-- Retention: drop every partition whose upper bound is at or before now - retention.
	FOR v_partition IN
		SELECT child.relname AS name, parent.relname AS parent_name
		FROM pg_inherits
		JOIN pg_class child ON child.oid = pg_inherits.inhrelid
		JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
		JOIN pg_namespace ns ON ns.oid = parent.relnamespace
		WHERE ns.nspname = 'metrics' AND parent.relname IN ('samples', 'rollups_5m', 'rollups_1h')
		ORDER BY child.relname
	LOOP
		IF v_partition.parent_name = 'samples' THEN
			v_upper := to_date(substr(v_partition.name, 10), 'YYYYMMDD')::timestamptz + interval '1 day';
			v_retention := p_raw_retention;
		ELSE
			v_upper := to_date(right(v_partition.name, 6), 'YYYYMM')::timestamptz + interval '1 month';
			v_retention := CASE v_partition.parent_name WHEN 'rollups_5m' THEN p_rollup_5m_retention ELSE p_rollup_1h_retention END;
		END IF;
		IF v_upper <= p_now - v_retention THEN
			EXECUTE format('DROP TABLE metrics.%I', v_partition.name);
			action := 'dropped'; partition_name := v_partition.name; RETURN NEXT;
		END IF;
	END LOOP;
END
$$;
