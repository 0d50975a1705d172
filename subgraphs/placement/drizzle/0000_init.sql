CREATE SCHEMA "placement";
--> statement-breakpoint
CREATE TABLE "placement"."create_outcomes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"outcome" text NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "placement"."decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"operation_id" text NOT NULL,
	"vm_id" uuid,
	"requirements" jsonb NOT NULL,
	"feasible_count" integer NOT NULL,
	"candidates" jsonb NOT NULL,
	"rejected" jsonb NOT NULL,
	"chosen_index" integer,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "decisions_operation_id_unique" UNIQUE("operation_id")
);
--> statement-breakpoint
CREATE TABLE "placement"."policies" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"allowed_providers" text[],
	"allowed_regions" text[],
	"denied_instance_families" text[] DEFAULT '{}' NOT NULL,
	"max_hourly_price" double precision,
	"weight_price" double precision NOT NULL,
	"weight_region_preference" double precision NOT NULL,
	"weight_reliability" double precision NOT NULL,
	"weight_headroom" double precision NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "placement"."quotas" (
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"vcpus" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quotas_tenant_id_provider_region_pk" PRIMARY KEY("tenant_id","provider","region")
);
--> statement-breakpoint
CREATE TABLE "placement"."reservations" (
	"operation_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"vcpus" integer NOT NULL,
	"vm_id" uuid,
	"status" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "placement"."vm_usage" (
	"vm_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"vcpus" integer NOT NULL,
	"status" text NOT NULL,
	"version" integer NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "create_outcomes_recent_idx" ON "placement"."create_outcomes" USING btree ("occurred_at","provider","region","instance_type");--> statement-breakpoint
CREATE INDEX "decisions_tenant_vm_idx" ON "placement"."decisions" USING btree ("tenant_id","vm_id");--> statement-breakpoint
CREATE INDEX "reservations_held_idx" ON "placement"."reservations" USING btree ("tenant_id","provider","region") WHERE status = 'HELD';--> statement-breakpoint
CREATE INDEX "reservations_vm_idx" ON "placement"."reservations" USING btree ("vm_id");--> statement-breakpoint
CREATE INDEX "vm_usage_tenant_capacity_idx" ON "placement"."vm_usage" USING btree ("tenant_id","provider","region");