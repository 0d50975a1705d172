CREATE SCHEMA "vms";
--> statement-breakpoint
CREATE TABLE "vms"."operations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"vm_id" uuid NOT NULL,
	"input" jsonb NOT NULL,
	"input_digest" text NOT NULL,
	"idempotency_key" text,
	"steps" jsonb NOT NULL,
	"error_code" text,
	"error_message" text,
	"error_provider_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"lease_owner" text,
	"lease_epoch" integer DEFAULT 0 NOT NULL,
	"lease_expires_at" timestamp (3) with time zone,
	"redrive_count" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "vms"."vm_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"vm_id" uuid NOT NULL,
	"vm_version" integer NOT NULL,
	"type" text NOT NULL,
	"operation_id" uuid,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms"."vms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"image" text NOT NULL,
	"status" text NOT NULL,
	"provider_id" text,
	"private_ip" text,
	"public_ip" text,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vms"."operations" ADD CONSTRAINT "operations_vm_id_vms_id_fk" FOREIGN KEY ("vm_id") REFERENCES "vms"."vms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "operations_tenant_idempotency_key_idx" ON "vms"."operations" USING btree ("tenant_id","idempotency_key") WHERE "vms"."operations"."idempotency_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "operations_one_active_per_vm_idx" ON "vms"."operations" USING btree ("vm_id") WHERE "vms"."operations"."status" in ('QUEUED', 'RUNNING');--> statement-breakpoint
CREATE INDEX "operations_tenant_created_idx" ON "vms"."operations" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "operations_vm_created_idx" ON "vms"."operations" USING btree ("vm_id","created_at","id");--> statement-breakpoint
CREATE INDEX "operations_active_lease_idx" ON "vms"."operations" USING btree ("lease_expires_at") WHERE "vms"."operations"."status" in ('QUEUED', 'RUNNING');--> statement-breakpoint
CREATE INDEX "vm_events_vm_idx" ON "vms"."vm_events" USING btree ("vm_id","vm_version");--> statement-breakpoint
CREATE INDEX "vms_tenant_created_idx" ON "vms"."vms" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "vms_labels_idx" ON "vms"."vms" USING gin ("labels");