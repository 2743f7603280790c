-- +goose Up
CREATE TABLE users (
    id               uuid PRIMARY KEY,
    email            text        NOT NULL,
    email_normalized text        NOT NULL,
    name             text        NOT NULL,
    password_hash    text        NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz
);
-- One live account per email, compared case-insensitively (the application
-- stores the trimmed, lower-cased form in email_normalized).
CREATE UNIQUE INDEX users_email_normalized_live_key ON users (email_normalized) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE users;
