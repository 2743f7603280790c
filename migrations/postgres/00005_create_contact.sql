-- +goose Up
CREATE TABLE contact_enquiries (
    id          uuid PRIMARY KEY,
    type        text        NOT NULL CHECK (type IN ('demo', 'sales', 'general', 'support')),
    name        text        NOT NULL,
    email       text        NOT NULL,
    company     text        NOT NULL DEFAULT '',
    phone       text        NOT NULL DEFAULT '',
    message     text        NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX contact_enquiries_received_at_idx ON contact_enquiries (received_at);

-- The outbox of notification mails: one row per enquiry, written in the same
-- transaction as the enquiry, claimed by workers under a lease
-- (locked_by/locked_until) and settled once a mail server accepted it.
CREATE TABLE contact_mail_outbox (
    id              uuid PRIMARY KEY,
    enquiry_id      uuid        NOT NULL REFERENCES contact_enquiries (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text        NOT NULL DEFAULT '',
    locked_by       text,
    locked_until    timestamptz,
    sent_at         timestamptz,
    channel         text CHECK (channel IN ('smtp', 'log'))
);
CREATE UNIQUE INDEX contact_mail_outbox_enquiry_key ON contact_mail_outbox (enquiry_id);
-- The claim query reads pending rows in due order; sent rows leave the index.
CREATE INDEX contact_mail_outbox_due_idx ON contact_mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE contact_mail_outbox;
DROP TABLE contact_enquiries;
