-- +goose Up
-- The append-only audit log; see the PostgreSQL migration for the design.
-- occurred_at is DATETIME so the driver reads it back as a time; it is
-- stored as UTC text of one format, which sorts and compares correctly.
CREATE TABLE audit_logs (
    sequence        INTEGER  PRIMARY KEY,
    id              TEXT     NOT NULL UNIQUE,
    occurred_at     DATETIME NOT NULL,
    actor_type      TEXT     NOT NULL,
    actor_id        TEXT,
    action          TEXT     NOT NULL,
    target_type     TEXT,
    target_id       TEXT,
    organization_id TEXT,
    client_ip       TEXT,
    user_agent      TEXT,
    request_id      TEXT,
    details         TEXT     NOT NULL,
    prev_hash       TEXT     NOT NULL,
    hash            TEXT     NOT NULL
);
CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, sequence DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, sequence DESC)
    WHERE actor_id IS NOT NULL;
CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, sequence DESC)
    WHERE target_id IS NOT NULL;
CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, sequence);

-- SQLite's single write lock already serializes appenders; the head row
-- still holds the last sequence and hash, so verification can tell that
-- records were removed from the end.
CREATE TABLE audit_chain_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, sequence, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_chain_head;
DROP TABLE audit_logs;
