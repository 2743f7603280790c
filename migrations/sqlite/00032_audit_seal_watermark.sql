-- +goose Up
-- The queue of records awaiting the sealer gives way to a watermark and
-- gaps on the chain head; see the PostgreSQL migration. SQLite runs one
-- write transaction at a time and the sealer holds the write lock, so a
-- record below the watermark is never committed later and the sealer
-- leaves no gaps of its own: the only ones are the records queued when
-- this migration runs.
ALTER TABLE audit_chain_head ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_chain_head ADD COLUMN gaps TEXT NOT NULL DEFAULT '';
UPDATE audit_chain_head SET
    pos = (SELECT COALESCE(max(pos), 0) FROM audit_logs),
    gaps = COALESCE((SELECT group_concat(p, ',') FROM (SELECT pos || ':0' AS p FROM audit_pending ORDER BY pos)), '');
DROP TABLE audit_pending;

-- +goose Down
CREATE TABLE audit_pending (
    pos INTEGER PRIMARY KEY
);
WITH RECURSIVE split(g, rest) AS (
    SELECT '', (SELECT gaps FROM audit_chain_head WHERE id = 1) || ','
    UNION ALL
    SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> ''
)
INSERT INTO audit_pending (pos)
    SELECT l.pos FROM audit_logs l, audit_chain_head h
    WHERE h.id = 1 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.pos = l.pos)
      AND (l.pos > h.pos OR l.pos IN (
          SELECT CAST(substr(g, 1, instr(g, ':') - 1) AS INTEGER) FROM split WHERE g <> ''));
ALTER TABLE audit_chain_head DROP COLUMN gaps;
ALTER TABLE audit_chain_head DROP COLUMN pos;
