-- +goose Up
-- The sealer no longer needs a queue: instead of an audit_pending entry
-- written and deleted per record, the chain head keeps a watermark (pos:
-- every record at or below it is sealed, or listed in gaps) and the gaps
-- (insert positions at or below the watermark the sealer has not seen
-- committed yet). Each sealing pass reads the records above the watermark
-- in position order, plus the gaps, in one statement; positions it passes
-- over become gaps, and a gap is dropped only once no transaction that
-- could still commit it is running. See auditpg's package doc for why that
-- never skips a record that commits late with a lower position.
--
-- gaps is text, "pos:horizon" separated by commas: horizon is the
-- transaction id of the sealing pass that found the gap, and the gap can
-- be dropped once every transaction with a lower id has ended.

-- Writers still inserting queue entries must finish first (the lock waits
-- for them and holds back new ones), so every unsealed record is either
-- above the watermark or queued when the queue becomes gaps below.
LOCK TABLE audit_pending IN ACCESS EXCLUSIVE MODE;
ALTER TABLE audit_chain_head ADD COLUMN pos bigint NOT NULL DEFAULT 0,
    ADD COLUMN gaps text NOT NULL DEFAULT '';
UPDATE audit_chain_head SET
    pos = (SELECT COALESCE(max(pos), 0) FROM audit_logs),
    gaps = (SELECT COALESCE(string_agg(pos::text || ':0', ',' ORDER BY pos), '') FROM audit_pending);
DROP TABLE audit_pending;

-- A position is taken only after its transaction has an id (CASE evaluates
-- its condition first), and positions are handed out in increasing order
-- (no per-session cache): the gap rule relies on both.
ALTER SEQUENCE audit_logs_pos_seq CACHE 1;
ALTER TABLE audit_logs ALTER COLUMN pos SET DEFAULT
    CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('audit_logs_pos_seq') END;

-- +goose Down
CREATE TABLE audit_pending (
    pos bigint PRIMARY KEY
);
ALTER TABLE audit_pending SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
LOCK TABLE audit_chain_head IN ACCESS EXCLUSIVE MODE;
LOCK TABLE audit_logs IN SHARE MODE;
INSERT INTO audit_pending (pos)
    SELECT l.pos FROM audit_logs l, audit_chain_head h
    WHERE h.id = 1 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.pos = l.pos)
      AND (l.pos > h.pos OR l.pos IN (
          SELECT split_part(g, ':', 1)::bigint FROM unnest(string_to_array(NULLIF(h.gaps, ''), ',')) AS g));
ALTER TABLE audit_logs ALTER COLUMN pos SET DEFAULT nextval('audit_logs_pos_seq');
ALTER TABLE audit_chain_head DROP COLUMN gaps, DROP COLUMN pos;
