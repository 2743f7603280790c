-- +goose Up
-- A proof of an account's email address removes the account's pending
-- link flows and the login codes of the identities it unlinks; an account
-- deletion cascades to both. These indexes keep either from scanning every
-- started sign-in.
CREATE INDEX federation_flows_link_user ON federation_flows (link_user_id) WHERE link_user_id IS NOT NULL;
CREATE INDEX federation_login_codes_user ON federation_login_codes (user_id);

-- +goose Down
DROP INDEX federation_login_codes_user;
DROP INDEX federation_flows_link_user;
