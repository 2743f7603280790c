-- +goose Up
-- request_id is the server's own id of a request, unique per request.
-- correlation_id is the id the client sent with it (X-Request-ID), which
-- any number of requests may share; it is kept beside the record so a
-- client's or proxy's trace still finds it. Adding a nullable column
-- rewrites no row and fires no trigger: records stored before it have
-- NULL and still hash as they did (the hash covers the correlation id only
-- when one is set).
ALTER TABLE audit_logs ADD COLUMN correlation_id text;

-- +goose Down
ALTER TABLE audit_logs DROP COLUMN correlation_id;
