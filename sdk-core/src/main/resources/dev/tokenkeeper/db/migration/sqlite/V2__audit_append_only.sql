-- The audit log is append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER tk_audit_events_no_update BEFORE UPDATE ON tk_audit_events
BEGIN
    SELECT RAISE(ABORT, 'tk_audit_events is append-only');
END;

CREATE TRIGGER tk_audit_events_no_delete BEFORE DELETE ON tk_audit_events
BEGIN
    SELECT RAISE(ABORT, 'tk_audit_events is append-only');
END;
