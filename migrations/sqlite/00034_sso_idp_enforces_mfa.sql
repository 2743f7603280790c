-- +goose Up
-- A connection whose organization says its identity provider asks every
-- sign-in for a second factor: sessions started through it count as
-- multi-factor (amr "mfa") and meet that organization's require_mfa.
ALTER TABLE sso_connections ADD COLUMN idp_enforces_mfa BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sso_connections DROP COLUMN idp_enforces_mfa;
