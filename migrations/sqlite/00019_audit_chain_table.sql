-- +goose Up
-- The chain's links move into audit_chain and the records awaiting the
-- sealer into audit_pending; audit_logs is append-only again. See the
-- PostgreSQL migration.
CREATE TABLE audit_chain (
    sequence  INTEGER PRIMARY KEY,
    pos       INTEGER NOT NULL UNIQUE,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE TABLE audit_pending (
    pos INTEGER PRIMARY KEY
);
DROP TRIGGER audit_logs_no_update;
INSERT INTO audit_chain (sequence, pos, prev_hash, hash)
    SELECT sequence, pos, prev_hash, hash FROM audit_logs WHERE sequence IS NOT NULL;
INSERT INTO audit_pending (pos) SELECT pos FROM audit_logs WHERE sequence IS NULL;
DROP INDEX audit_logs_unsealed_idx;
DROP INDEX audit_logs_sequence_key;
ALTER TABLE audit_logs DROP COLUMN sequence;
ALTER TABLE audit_logs DROP COLUMN prev_hash;
ALTER TABLE audit_logs DROP COLUMN hash;
-- +goose StatementBegin
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_chain_no_delete;
DROP TRIGGER audit_chain_no_update;
DROP TRIGGER audit_logs_no_update;
ALTER TABLE audit_logs ADD COLUMN sequence INTEGER;
ALTER TABLE audit_logs ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN hash TEXT NOT NULL DEFAULT '';
UPDATE audit_logs SET
    sequence  = (SELECT c.sequence FROM audit_chain c WHERE c.pos = audit_logs.pos),
    prev_hash = COALESCE((SELECT c.prev_hash FROM audit_chain c WHERE c.pos = audit_logs.pos), ''),
    hash      = COALESCE((SELECT c.hash FROM audit_chain c WHERE c.pos = audit_logs.pos), '');
CREATE UNIQUE INDEX audit_logs_sequence_key ON audit_logs (sequence);
CREATE INDEX audit_logs_unsealed_idx ON audit_logs (pos) WHERE sequence IS NULL;
DROP TABLE audit_pending;
DROP TABLE audit_chain;
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
