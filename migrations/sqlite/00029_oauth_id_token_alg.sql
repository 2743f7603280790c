-- +goose Up
-- A client chooses the algorithm of its ID tokens (OpenID Connect Dynamic
-- Client Registration's id_token_signed_response_alg); existing clients
-- keep RS256.
ALTER TABLE oauth_clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256'
    CHECK (id_token_signed_response_alg IN ('RS256', 'ES256'));

-- +goose Down
ALTER TABLE oauth_clients DROP COLUMN id_token_signed_response_alg;
