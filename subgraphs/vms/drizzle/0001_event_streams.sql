CREATE TABLE "vms"."event_retention" (
	"stream" text PRIMARY KEY NOT NULL,
	"pruned_through_txid" "xid8" NOT NULL,
	"pruned_through_seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vms"."operation_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"tenant_id" text NOT NULL,
	"operation_id" uuid NOT NULL,
	"vm_id" uuid NOT NULL,
	"operation_version" integer NOT NULL,
	"status" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vms"."vm_events" ADD COLUMN "txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "operation_events_operation_idx" ON "vms"."operation_events" USING btree ("operation_id","operation_version");--> statement-breakpoint
CREATE INDEX "operation_events_order_idx" ON "vms"."operation_events" USING btree ("txid","seq");--> statement-breakpoint
CREATE INDEX "operation_events_created_idx" ON "vms"."operation_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "vm_events_order_idx" ON "vms"."vm_events" USING btree ("txid","seq");--> statement-breakpoint
CREATE INDEX "vm_events_created_idx" ON "vms"."vm_events" USING btree ("created_at");