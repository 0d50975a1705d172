-- Every change of an operation writes its event (with a snapshot of the row) in the same
-- transaction, whoever made the change: API, worker, sweeper or cancellation.
CREATE FUNCTION "vms"."record_operation_event"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "vms"."operation_events" ("tenant_id", "operation_id", "vm_id", "operation_version", "status", "payload")
  VALUES (NEW."tenant_id", NEW."id", NEW."vm_id", NEW."version", NEW."status", to_jsonb(NEW));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "operations_record_event_on_insert"
  AFTER INSERT ON "vms"."operations"
  FOR EACH ROW
  EXECUTE FUNCTION "vms"."record_operation_event"();
--> statement-breakpoint
-- Lease heartbeats do not bump the version and are not events.
CREATE TRIGGER "operations_record_event_on_update"
  AFTER UPDATE ON "vms"."operations"
  FOR EACH ROW
  WHEN (OLD."version" IS DISTINCT FROM NEW."version")
  EXECUTE FUNCTION "vms"."record_operation_event"();
--> statement-breakpoint
-- Wake event readers when a transaction that wrote events commits (NOTIFY is delivered at commit,
-- and identical payloads in one transaction are folded into one notification).
CREATE FUNCTION "vms"."notify_event_stream"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('novacron_events', TG_ARGV[0]);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "vm_events_notify"
  AFTER INSERT ON "vms"."vm_events"
  FOR EACH STATEMENT
  EXECUTE FUNCTION "vms"."notify_event_stream"('vms.vm');
--> statement-breakpoint
CREATE TRIGGER "operation_events_notify"
  AFTER INSERT ON "vms"."operation_events"
  FOR EACH STATEMENT
  EXECUTE FUNCTION "vms"."notify_event_stream"('vms.operation');
