-- +goose Up
-- The one outbox of every mail Authy sends: a row is written in the
-- transaction of the change it is about, claimed by workers under a lease
-- (locked_by/locked_until, FOR UPDATE SKIP LOCKED) and settled once a mail
-- server accepted it (sent), or given up once discard_after passed
-- (expired). data is the template data sealed under ENCRYPTION_KEY, emptied
-- once the row is settled. contact_mail_outbox stays until its last pending
-- rows have been handed over (its rows name no recipient: the contact
-- worker read CONTACT_EMAIL_TO when sending, so SQL cannot move them).
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY,
    dedup_key       text,
    recipient       text        NOT NULL,
    template        text        NOT NULL,
    locale          text        NOT NULL DEFAULT 'en',
    data            text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'expired')),
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    discard_after   timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    locked_by       text,
    locked_until    timestamptz,
    settled_at      timestamptz,
    channel         text CHECK (channel IN ('smtp', 'log')),
    CHECK ((status = 'pending') = (settled_at IS NULL)),
    CHECK ((status = 'sent') = (channel IS NOT NULL))
);
-- NULL keys never collide: only mail enqueued with a key is unique.
CREATE UNIQUE INDEX mail_outbox_dedup_key ON mail_outbox (dedup_key);
-- The claim query reads pending rows in due order; settled rows leave the index.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE status = 'pending';

-- +goose Down
DROP TABLE mail_outbox;
