-- +goose Up
-- Audit records are written unsealed and chained by a sealer after commit;
-- see the PostgreSQL migration. The former sequence column becomes pos, the
-- insert position (it stays the INTEGER PRIMARY KEY, so SQLite assigns it
-- on insert); the new nullable sequence column is the chain sequence,
-- backfilled from the former one so existing chains verify unchanged.
-- Unsealed records keep '' as their links (the columns are NOT NULL, and
-- SQLite cannot relax that without rebuilding the table).
ALTER TABLE audit_logs RENAME COLUMN sequence TO pos;
ALTER TABLE audit_logs ADD COLUMN sequence INTEGER;
DROP TRIGGER audit_logs_no_update;
UPDATE audit_logs SET sequence = pos;
CREATE UNIQUE INDEX audit_logs_sequence_key ON audit_logs (sequence);
CREATE INDEX audit_logs_unsealed_idx ON audit_logs (pos) WHERE sequence IS NULL;

-- The only update allowed: sealing an unsealed record (its sequence beyond
-- the head, its links, nothing else).
-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
WHEN NOT (
    OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
    AND NEW.sequence > (SELECT h.sequence FROM audit_chain_head h WHERE h.id = 1)
    AND OLD.prev_hash = '' AND OLD.hash = '' AND NEW.prev_hash <> '' AND NEW.hash <> ''
    AND NEW.pos = OLD.pos AND NEW.id = OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.actor_type = OLD.actor_type AND NEW.action = OLD.action
    AND NEW.actor_id IS OLD.actor_id AND NEW.target_type IS OLD.target_type
    AND NEW.target_id IS OLD.target_id AND NEW.organization_id IS OLD.organization_id
    AND NEW.client_ip IS OLD.client_ip AND NEW.user_agent IS OLD.user_agent
    AND NEW.request_id IS OLD.request_id AND NEW.correlation_id IS OLD.correlation_id
    AND NEW.details = OLD.details
)
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd

-- +goose Down
-- Unsealed records cannot be kept by the earlier schema: seal them first
-- (`authy audit seal`). An unsealed record makes the copy below fail with a
-- datatype mismatch (text into the INTEGER PRIMARY KEY) rather than let
-- SQLite give it a made-up sequence.
DROP TRIGGER audit_logs_no_update;
DROP TRIGGER audit_logs_no_delete;
DROP INDEX audit_logs_unsealed_idx;
DROP INDEX audit_logs_sequence_key;
CREATE TABLE audit_logs_sealed (
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
    hash            TEXT     NOT NULL,
    correlation_id  TEXT
);
INSERT INTO audit_logs_sealed (sequence, id, occurred_at, actor_type, actor_id, action, target_type, target_id,
    organization_id, client_ip, user_agent, request_id, details, prev_hash, hash, correlation_id)
SELECT CASE WHEN sequence IS NULL THEN 'unsealed record: run authy audit seal first' ELSE sequence END,
    id, occurred_at, actor_type, actor_id, action, target_type, target_id,
    organization_id, client_ip, user_agent, request_id, details, prev_hash, hash, correlation_id
FROM audit_logs;
DROP TABLE audit_logs;
ALTER TABLE audit_logs_sealed RENAME TO audit_logs;
CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, sequence DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, sequence DESC)
    WHERE actor_id IS NOT NULL;
CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, sequence DESC)
    WHERE target_id IS NOT NULL;
CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, sequence);
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
