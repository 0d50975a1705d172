-- The live `sample` stream (the kit's outbox table shape, see eventTable in @novacron/subgraph-kit),
-- its pruning watermark, and the cursors of this subgraph's stream followers (the vms VM stream).
CREATE TABLE "metrics"."sample_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"tenant_id" text NOT NULL,
	"entity_id" text NOT NULL,
	"keys" text[] NOT NULL,
	"version" integer NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sample_events_entity_idx" ON "metrics"."sample_events" ("entity_id", "version");
--> statement-breakpoint
CREATE INDEX "sample_events_order_idx" ON "metrics"."sample_events" ("txid", "seq");
--> statement-breakpoint
CREATE INDEX "sample_events_created_idx" ON "metrics"."sample_events" ("created_at");
--> statement-breakpoint
CREATE TABLE "metrics"."event_retention" (
	"stream" text PRIMARY KEY NOT NULL,
	"pruned_through_txid" "xid8" NOT NULL,
	"pruned_through_seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metrics"."stream_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"cursor" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
