CREATE TABLE "vms"."audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target_id" text,
	"operation_id" uuid,
	"outcome" text NOT NULL,
	"error_code" text,
	"input_digest" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms"."provider_credentials" (
	"tenant_id" text NOT NULL,
	"provider" text NOT NULL,
	"key_id" text NOT NULL,
	"nonce" text NOT NULL,
	"ciphertext" text NOT NULL,
	"auth_tag" text NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms"."tenant_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"contact_email" text,
	"updated_by" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_log_tenant_created_idx" ON "vms"."audit_log" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_credentials_tenant_provider_idx" ON "vms"."provider_credentials" USING btree ("tenant_id","provider");