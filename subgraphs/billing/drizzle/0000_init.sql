CREATE SCHEMA "billing";
--> statement-breakpoint
CREATE TABLE "billing"."alert_events" (
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
CREATE TABLE "billing"."budget_reservations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"operation_id" text NOT NULL,
	"vm_id" uuid,
	"status" text NOT NULL,
	"spec" jsonb NOT NULL,
	"amount_micros" bigint NOT NULL,
	"budget_ids" uuid[] NOT NULL,
	"refused_by" uuid,
	"period_start" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"vm_seen_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."budget_threshold_crossings" (
	"budget_id" uuid NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"threshold" text NOT NULL,
	"tenant_id" text NOT NULL,
	"spent_micros" bigint NOT NULL,
	"forecast_micros" bigint NOT NULL,
	"fired_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_threshold_crossings_budget_id_period_start_threshold_pk" PRIMARY KEY("budget_id","period_start","threshold")
);
--> statement-breakpoint
CREATE TABLE "billing"."budget_webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_webhooks_tenant_id_unique" UNIQUE("tenant_id")
);
--> statement-breakpoint
CREATE TABLE "billing"."budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"amount_micros" bigint NOT NULL,
	"period" text DEFAULT 'MONTHLY' NOT NULL,
	"scope" jsonb NOT NULL,
	"thresholds" jsonb NOT NULL,
	"action" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."cost_anomalies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"scope_key" text NOT NULL,
	"day" timestamp (3) with time zone NOT NULL,
	"spend_micros" bigint NOT NULL,
	"baseline_mean_micros" bigint NOT NULL,
	"baseline_stddev_micros" bigint NOT NULL,
	"detected_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."event_retention" (
	"stream" text PRIMARY KEY NOT NULL,
	"pruned_through_txid" "xid8" NOT NULL,
	"pruned_through_seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."stream_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"cursor" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."vm_history" (
	"vm_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"tenant_id" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"status" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"image" text NOT NULL,
	"has_provider_resource" boolean NOT NULL,
	"spot" boolean NOT NULL,
	"compute_micros_per_hour" bigint NOT NULL,
	"compute_priced" boolean NOT NULL,
	"disk_gb" integer NOT NULL,
	"disk_micros_per_gb_month" bigint NOT NULL,
	CONSTRAINT "vm_history_vm_id_version_pk" PRIMARY KEY("vm_id","version")
);
--> statement-breakpoint
CREATE TABLE "billing"."vms" (
	"vm_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"image" text NOT NULL,
	"status" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"spot" boolean DEFAULT false NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "billing"."webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"webhook_id" uuid NOT NULL,
	"url" text NOT NULL,
	"event_type" text NOT NULL,
	"body" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "alert_events_entity_idx" ON "billing"."alert_events" USING btree ("entity_id","version");--> statement-breakpoint
CREATE INDEX "alert_events_order_idx" ON "billing"."alert_events" USING btree ("txid","seq");--> statement-breakpoint
CREATE INDEX "alert_events_created_idx" ON "billing"."alert_events" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "budget_reservations_operation_idx" ON "billing"."budget_reservations" USING btree ("tenant_id","operation_id");--> statement-breakpoint
CREATE INDEX "budget_reservations_vm_idx" ON "billing"."budget_reservations" USING btree ("vm_id");--> statement-breakpoint
CREATE INDEX "budget_reservations_held_idx" ON "billing"."budget_reservations" USING btree ("status","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_tenant_name_idx" ON "billing"."budgets" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "cost_anomalies_scope_day_idx" ON "billing"."cost_anomalies" USING btree ("tenant_id","scope_key","day");--> statement-breakpoint
CREATE INDEX "vm_history_tenant_idx" ON "billing"."vm_history" USING btree ("tenant_id","vm_id");--> statement-breakpoint
CREATE INDEX "billing_vms_tenant_idx" ON "billing"."vms" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "billing"."webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_tenant_idx" ON "billing"."webhook_deliveries" USING btree ("tenant_id","created_at");