-- +goose Up
CREATE TABLE contact_enquiries (
    id          TEXT PRIMARY KEY,
    type        TEXT     NOT NULL CHECK (type IN ('demo', 'sales', 'general', 'support')),
    name        TEXT     NOT NULL,
    email       TEXT     NOT NULL,
    company     TEXT     NOT NULL DEFAULT '',
    phone       TEXT     NOT NULL DEFAULT '',
    message     TEXT     NOT NULL,
    received_at DATETIME NOT NULL
);
CREATE INDEX contact_enquiries_received_at_idx ON contact_enquiries (received_at);

-- The outbox of notification mails: one row per enquiry, written in the same
-- transaction as the enquiry, claimed by workers under a lease
-- (locked_by/locked_until) and settled once a mail server accepted it.
-- Times are UTC text in one format, so they compare correctly as strings.
CREATE TABLE contact_mail_outbox (
    id              TEXT PRIMARY KEY,
    enquiry_id      TEXT     NOT NULL REFERENCES contact_enquiries (id) ON DELETE CASCADE,
    created_at      DATETIME NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT     NOT NULL DEFAULT '',
    locked_by       TEXT,
    locked_until    DATETIME,
    sent_at         DATETIME,
    channel         TEXT CHECK (channel IN ('smtp', 'log'))
);
CREATE UNIQUE INDEX contact_mail_outbox_enquiry_key ON contact_mail_outbox (enquiry_id);
CREATE INDEX contact_mail_outbox_due_idx ON contact_mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE contact_mail_outbox;
DROP TABLE contact_enquiries;
