-- +goose Up
-- Audit records are written unsealed in the transaction of their change and
-- chained by a sealer after commit, so writers no longer wait on the chain
-- head (see domain/audit's package doc for why the chain follows the
-- sealing order).
--
-- The former sequence column becomes pos, the record's insert position:
-- unique, assigned at insert, the tie-breaker of list order (its indexes
-- and the primary key follow the rename). A new nullable sequence column is
-- the chain sequence, NULL until sealed; every existing record was sealed at
-- insert, so its sequence is its former one, its hash covers exactly that,
-- and chains written before this migration verify unchanged. Cursors issued
-- before it carry that same number and continue where they were.
ALTER TABLE audit_logs RENAME COLUMN sequence TO pos;
CREATE SEQUENCE audit_logs_pos_seq OWNED BY audit_logs.pos;
SELECT setval('audit_logs_pos_seq', (SELECT COALESCE(max(pos), 0) + 1 FROM audit_logs), false);
ALTER TABLE audit_logs ALTER COLUMN pos SET DEFAULT nextval('audit_logs_pos_seq');
ALTER TABLE audit_logs ADD COLUMN sequence bigint;

-- The backfill is the one update of existing rows this table will see; the
-- guard is replaced below.
DROP TRIGGER audit_logs_append_only ON audit_logs;
UPDATE audit_logs SET sequence = pos;

CREATE UNIQUE INDEX audit_logs_sequence_key ON audit_logs (sequence);
-- What the sealer reads: the unsealed records in insert order. The index
-- holds only them, so it stays as small as the backlog.
CREATE INDEX audit_logs_unsealed_idx ON audit_logs (pos) WHERE sequence IS NULL;

-- The append-only guard now allows exactly one change: sealing an unsealed
-- record, which sets its sequence (beyond the current head, which the
-- sealer moves after its records in the same transaction) and its links
-- and nothing else. Every other update, and every delete, is refused.
-- +goose StatementBegin
CREATE FUNCTION audit_logs_allow_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
       AND NEW.sequence > (SELECT h.sequence FROM audit_chain_head h WHERE h.id = 1)
       AND OLD.prev_hash = '' AND OLD.hash = '' AND NEW.prev_hash <> '' AND NEW.hash <> ''
       AND NEW.pos = OLD.pos AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at
       AND NEW.actor_type = OLD.actor_type AND NEW.action = OLD.action
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.target_type IS NOT DISTINCT FROM OLD.target_type
       AND NEW.target_id IS NOT DISTINCT FROM OLD.target_id
       AND NEW.organization_id IS NOT DISTINCT FROM OLD.organization_id
       AND NEW.client_ip IS NOT DISTINCT FROM OLD.client_ip
       AND NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent
       AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
       AND NEW.correlation_id IS NOT DISTINCT FROM OLD.correlation_id
       AND NEW.details::text = OLD.details::text THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_allow_seal_only();

-- +goose Down
-- Unsealed records cannot be kept by the earlier schema (it chained every
-- record at insert): seal them first (`authy audit seal`).
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_logs WHERE sequence IS NULL) THEN
        RAISE EXCEPTION 'audit_logs holds unsealed records: run `authy audit seal` before migrating down';
    END IF;
END
$$;
-- +goose StatementEnd
DROP TRIGGER audit_logs_append_only ON audit_logs;
DROP FUNCTION audit_logs_allow_seal_only();
DROP INDEX audit_logs_unsealed_idx;
DROP INDEX audit_logs_sequence_key;
ALTER TABLE audit_logs ALTER COLUMN pos DROP DEFAULT;
DROP SEQUENCE audit_logs_pos_seq;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_pkey;
ALTER TABLE audit_logs DROP COLUMN pos;
ALTER TABLE audit_logs ADD PRIMARY KEY (sequence);
CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, sequence DESC)
    WHERE organization_id IS NOT NULL;
CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, sequence DESC)
    WHERE actor_id IS NOT NULL;
CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, sequence DESC)
    WHERE target_id IS NOT NULL;
CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, sequence);
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
