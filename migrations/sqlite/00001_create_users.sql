-- +goose Up
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    email            TEXT     NOT NULL,
    email_normalized TEXT     NOT NULL,
    name             TEXT     NOT NULL,
    password_hash    TEXT     NOT NULL,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    deleted_at       DATETIME
);
CREATE UNIQUE INDEX users_email_normalized_live_key ON users (email_normalized) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE users;
