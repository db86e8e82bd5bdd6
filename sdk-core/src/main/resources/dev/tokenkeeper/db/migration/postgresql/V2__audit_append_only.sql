-- The audit log is append-only: the database itself refuses to change or remove an event.
CREATE FUNCTION tk_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tk_audit_events is append-only';
END;
$$;

CREATE TRIGGER tk_audit_events_no_change BEFORE UPDATE OR DELETE ON tk_audit_events
    FOR EACH ROW EXECUTE FUNCTION tk_audit_events_append_only();
