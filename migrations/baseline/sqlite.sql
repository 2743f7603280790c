-- The schema, and the rows the migrations insert, of a fresh SQLite
-- database migrated through the versions below: adapters/pgstore creates an
-- empty database from it in one step. Generated; never edit it by hand. After
-- adding a migration numbered below its last version, write it again with
--   go test ./adapters/pgstore -run TestMigrate_AFreshSQLiteDatabaseFromTheBaseline -baseline-through <last version>
-- +versions 1 2 3 4 5 6 7 10 12 13 14

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    email            TEXT     NOT NULL,
    email_normalized TEXT     NOT NULL,
    name             TEXT     NOT NULL,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    deleted_at       DATETIME
, password_hash TEXT, email_verified_at DATETIME);

CREATE UNIQUE INDEX users_email_normalized_live_key ON users (email_normalized) WHERE deleted_at IS NULL;

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash          BLOB     NOT NULL,
    created_at          DATETIME NOT NULL,
    last_seen_at        DATETIME NOT NULL,
    expires_at          DATETIME NOT NULL,
    absolute_expires_at DATETIME NOT NULL,
    ip                  TEXT     NOT NULL DEFAULT '',
    user_agent          TEXT     NOT NULL DEFAULT '',
    status              TEXT     NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    ended_at            DATETIME,
    end_reason          TEXT     NOT NULL DEFAULT ''
, auth_method TEXT NOT NULL DEFAULT 'password', amr TEXT NOT NULL DEFAULT 'pwd', auth_time DATETIME);

CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);

CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC, id DESC) WHERE status = 'active';

CREATE INDEX sessions_active_expiry_idx ON sessions (expires_at) WHERE status = 'active';

CREATE TABLE session_cache_purges (
    token_hash BLOB     PRIMARY KEY,
    until      DATETIME NOT NULL
);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT     NOT NULL,
    slug       TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);

CREATE UNIQUE INDEX organizations_slug_live_key ON organizations (lower(slug)) WHERE deleted_at IS NULL;

CREATE TABLE organization_memberships (
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at       DATETIME NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX organization_memberships_org_page ON organization_memberships (organization_id, joined_at, user_id);

CREATE INDEX organization_memberships_user_page ON organization_memberships (user_id, joined_at, organization_id);

CREATE TABLE audit_logs (
    sequence        INTEGER  PRIMARY KEY,
    id              TEXT     NOT NULL UNIQUE,
    occurred_at     DATETIME NOT NULL,
    actor_type      TEXT     NOT NULL,
    actor_id        TEXT,
    action          TEXT     NOT NULL,
    target_type     TEXT,
    target_id       TEXT,
    organization_id TEXT,
    client_ip       TEXT,
    user_agent      TEXT,
    request_id      TEXT,
    details         TEXT     NOT NULL,
    prev_hash       TEXT     NOT NULL,
    hash            TEXT     NOT NULL
, correlation_id TEXT);

CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, sequence DESC)
    WHERE organization_id IS NOT NULL;

CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, sequence DESC)
    WHERE actor_id IS NOT NULL;

CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, sequence DESC)
    WHERE target_id IS NOT NULL;

CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, sequence);

CREATE TABLE audit_chain_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);

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

CREATE TABLE "organization_invitations" (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT     NOT NULL,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL,
    token_hash      BLOB,
    expires_at      DATETIME NOT NULL,
    status          TEXT     NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    closed_at       DATETIME,
    closed_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((status = 'pending') = (closed_at IS NULL))
);

CREATE UNIQUE INDEX organization_invitations_pending_key ON organization_invitations (organization_id, email) WHERE status = 'pending';

CREATE UNIQUE INDEX organization_invitations_token_hash_key ON organization_invitations (token_hash);

CREATE INDEX organization_invitations_pending_org_page ON organization_invitations (organization_id, created_at, id) WHERE status = 'pending';

CREATE INDEX organization_invitations_pending_email_page ON organization_invitations (email, created_at, id) WHERE status = 'pending';

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

CREATE TABLE user_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT     NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    token_hash BLOB     NOT NULL CHECK (length(token_hash) = 32),
    email      TEXT     NOT NULL,
    session_id TEXT,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    CHECK (expires_at > created_at)
);

CREATE UNIQUE INDEX user_tokens_token_hash_key ON user_tokens (token_hash);

CREATE INDEX user_tokens_user_unused ON user_tokens (user_id, purpose) WHERE used_at IS NULL;

INSERT INTO "audit_chain_head" VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
