-- +goose Up
-- The append-only audit log. sequence is the record's place in the single,
-- global hash chain (assigned under the chain-head lock, so it has no gaps);
-- prev_hash and hash link each record to its predecessor. details is `json`
-- rather than `jsonb` on purpose: json keeps the exact bytes that were
-- hashed, jsonb would re-encode them and break verification.
CREATE TABLE audit_logs (
    sequence        bigint      PRIMARY KEY,
    id              uuid        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    actor_type      text        NOT NULL,
    actor_id        text,
    action          text        NOT NULL,
    target_type     text,
    target_id       text,
    organization_id uuid,
    client_ip       text,
    user_agent      text,
    request_id      text,
    details         json        NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    CONSTRAINT audit_logs_id_key UNIQUE (id)
);

-- Keyset pagination runs newest first on (occurred_at, sequence) within one
-- organization, actor or target; each index serves one read path as an
-- ordered range scan that stops after a page, whatever the table's size.
-- Partial indexes skip the rows that can never match (no organization,
-- no actor id, no target id).
CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, sequence DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, sequence DESC)
    WHERE actor_id IS NOT NULL;
CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, sequence DESC)
    WHERE target_id IS NOT NULL;
-- Exports and listings across every organization by time.
CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, sequence);

-- The chain head: one row holding the last sequence and hash. Appenders lock
-- it FOR UPDATE, which serializes them until their transaction commits.
CREATE TABLE audit_chain_head (
    id       smallint PRIMARY KEY CHECK (id = 1),
    sequence bigint   NOT NULL,
    hash     text     NOT NULL
);
INSERT INTO audit_chain_head (id, sequence, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Defence in depth: the application never updates or deletes a record, and
-- the database refuses it too. A table owner can still disable the trigger;
-- the hash chain is what catches that (`authy audit verify`).
-- +goose StatementBegin
CREATE FUNCTION audit_logs_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();

-- +goose Down
DROP TABLE audit_chain_head;
DROP TABLE audit_logs;
DROP FUNCTION audit_logs_refuse_change();
