CREATE TABLE "vms"."orphan_cleanup" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"enabled" boolean NOT NULL,
	"grace_seconds" integer NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms"."orphan_instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"provider_id" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"state" text NOT NULL,
	"vm_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "orphan_instances_instance_idx" ON "vms"."orphan_instances" USING btree ("tenant_id","provider","provider_id");--> statement-breakpoint
CREATE INDEX "orphan_instances_tenant_created_idx" ON "vms"."orphan_instances" USING btree ("tenant_id","created_at","id");