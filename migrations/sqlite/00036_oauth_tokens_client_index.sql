-- +goose Up
-- oauth_tokens_client_subject (client_id, subject) serves every lookup by
-- client alone too (its leading column), so the index on client_id only
-- cost every token write an index entry and served nothing.
DROP INDEX oauth_tokens_client;

-- +goose Down
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
