-- +goose Up
-- The client's own id of the request, beside the server's request_id; see
-- the PostgreSQL migration.
ALTER TABLE audit_logs ADD COLUMN correlation_id TEXT;

-- +goose Down
ALTER TABLE audit_logs DROP COLUMN correlation_id;
