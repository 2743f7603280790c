-- +goose Up
-- The one outbox of every mail Authy sends: a row is written in the
-- transaction of the change it is about, claimed by workers under a lease
-- (locked_by/locked_until; SQLite's single writer serialises claims) and
-- settled once a mail server accepted it (sent), or given up once
-- discard_after passed (expired). data is the template data sealed under
-- ENCRYPTION_KEY, emptied once the row is settled. contact_mail_outbox stays
-- until its last pending rows have been handed over (its rows name no
-- recipient: the contact worker read CONTACT_EMAIL_TO when sending, so SQL
-- cannot move them). Times are UTC text in one format, so they compare
-- correctly as strings.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    dedup_key       TEXT,
    recipient       TEXT     NOT NULL,
    template        TEXT     NOT NULL,
    locale          TEXT     NOT NULL DEFAULT 'en',
    data            TEXT     NOT NULL DEFAULT '',
    status          TEXT     NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'expired')),
    created_at      DATETIME NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    discard_after   DATETIME,
    last_error      TEXT     NOT NULL DEFAULT '',
    locked_by       TEXT,
    locked_until    DATETIME,
    settled_at      DATETIME,
    channel         TEXT CHECK (channel IN ('smtp', 'log')),
    CHECK ((status = 'pending') = (settled_at IS NULL)),
    CHECK ((status = 'sent') = (channel IS NOT NULL))
);
CREATE UNIQUE INDEX mail_outbox_dedup_key ON mail_outbox (dedup_key);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE status = 'pending';

-- +goose Down
DROP TABLE mail_outbox;
