-- The simulated cloud's durable state. Hand-written: the simulation has no drizzle schema of its own.
CREATE SCHEMA IF NOT EXISTS "simcloud";
--> statement-breakpoint
CREATE TABLE "simcloud"."instances" (
	"provider_id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"image" text NOT NULL,
	"name" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text NOT NULL,
	"target_state" text,
	"settles_at" timestamp with time zone,
	"client_token" text NOT NULL,
	"private_ip" text,
	"public_ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instances_provider_client_token_unique" UNIQUE ("provider", "client_token"),
	CONSTRAINT "instances_state_check" CHECK ("state" IN ('PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'DELETING', 'DELETED', 'ERROR')),
	CONSTRAINT "instances_target_state_check" CHECK ("target_state" IN ('RUNNING', 'STOPPED', 'DELETED')),
	CONSTRAINT "instances_settling_check" CHECK (("target_state" IS NULL) = ("settles_at" IS NULL))
);
--> statement-breakpoint
CREATE INDEX "instances_settles_at_idx" ON "simcloud"."instances" ("provider", "settles_at") WHERE "settles_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "instances_live_by_region_idx" ON "simcloud"."instances" ("provider", "region") WHERE "state" <> 'DELETED';
--> statement-breakpoint
CREATE TABLE "simcloud"."faults" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"action" text NOT NULL,
	"kind" text NOT NULL,
	"remaining" integer NOT NULL,
	"region" text,
	"code" text,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "faults_action_check" CHECK ("action" IN ('create', 'start', 'stop', 'reboot', 'resize', 'delete', 'get', '*')),
	CONSTRAINT "faults_kind_check" CHECK ("kind" IN ('transient', 'permanent', 'lost_response')),
	CONSTRAINT "faults_remaining_check" CHECK ("remaining" >= 0)
);
--> statement-breakpoint
CREATE INDEX "faults_pending_idx" ON "simcloud"."faults" ("provider", "action") WHERE "remaining" > 0;
