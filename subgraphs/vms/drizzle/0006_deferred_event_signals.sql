-- A connection that set `novacron.event_signals` to `deferred` (the operation worker's pool) signals
-- the streams itself, at most every few milliseconds, after its writes commit: one NOTIFY per
-- committing write woke every listening backend (about 1,200 times a second at 300 creates/s) and
-- made the worker's commits queue on the lock Postgres holds while it queues a notification.
-- Every other writer (the API, tests, manual SQL) signals from the trigger as before.
CREATE OR REPLACE FUNCTION "vms"."notify_event_stream"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('novacron.event_signals', true) IS DISTINCT FROM 'deferred' THEN
    PERFORM pg_notify('novacron_events', TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$$;
