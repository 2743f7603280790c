-- +goose Up
-- How and when a session's user authenticated: the method name
-- ("password", "social:github", "saml:<id>", "mfa", ...), its RFC 8176
-- amr values separated by spaces, and auth_time. Sessions opened before
-- this migration were all password sign-ins; their auth_time is NULL and
-- reads as created_at, so no existing row is rewritten.
ALTER TABLE sessions ADD COLUMN auth_method text NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN amr text NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN auth_time timestamptz;

-- +goose Down
ALTER TABLE sessions DROP COLUMN auth_time;
ALTER TABLE sessions DROP COLUMN amr;
ALTER TABLE sessions DROP COLUMN auth_method;
