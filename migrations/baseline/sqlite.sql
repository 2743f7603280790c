-- The schema, and the rows the migrations insert, of a fresh SQLite
-- database migrated through the versions below: adapters/pgstore creates an
-- empty database from it in one step. Generated; never edit it by hand. After
-- adding a migration numbered below its last version, write it again with
--   go test ./adapters/pgstore -run TestMigrate_AFreshSQLiteDatabaseFromTheBaseline -baseline-through <last version>
-- +versions 1 2 3 4 5 6 7 10 12 13 14 15 16 17 18

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
, owner_count INTEGER NOT NULL DEFAULT 0 CHECK (owner_count >= 0), member_count INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0));

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
    pos        INTEGER  PRIMARY KEY,
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
, correlation_id TEXT, sequence INTEGER);

CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, occurred_at DESC, pos DESC)
    WHERE organization_id IS NOT NULL;

CREATE INDEX audit_logs_actor_time_idx ON audit_logs (actor_id, occurred_at DESC, pos DESC)
    WHERE actor_id IS NOT NULL;

CREATE INDEX audit_logs_target_time_idx ON audit_logs (target_id, occurred_at DESC, pos DESC)
    WHERE target_id IS NOT NULL;

CREATE INDEX audit_logs_time_idx ON audit_logs (occurred_at, pos);

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

CREATE INDEX organization_invitations_pending_expiry ON organization_invitations (organization_id, expires_at, id)
    WHERE status = 'pending';

CREATE TABLE oauth_clients (
    id                         TEXT PRIMARY KEY,
    organization_id            TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                       TEXT     NOT NULL,
    redirect_uris              TEXT     NOT NULL DEFAULT '',
    post_logout_redirect_uris  TEXT     NOT NULL DEFAULT '',
    grant_types                TEXT     NOT NULL,
    token_endpoint_auth_method TEXT     NOT NULL,
    scopes                     TEXT     NOT NULL DEFAULT '',
    first_party                INTEGER  NOT NULL DEFAULT 0,
    access_token_format        TEXT     NOT NULL DEFAULT 'opaque' CHECK (access_token_format IN ('opaque', 'jwt')),
    resource_server            INTEGER  NOT NULL DEFAULT 0,
    secret_hash                TEXT     NOT NULL DEFAULT '',
    previous_secret_hash       TEXT     NOT NULL DEFAULT '',
    previous_secret_expires_at DATETIME,
    created_at                 DATETIME NOT NULL,
    updated_at                 DATETIME NOT NULL
);

CREATE INDEX oauth_clients_org_page ON oauth_clients (organization_id, created_at, id);

CREATE TABLE oauth_tokens (
    kind         TEXT     NOT NULL CHECK (kind IN ('authorize_code', 'access_token', 'refresh_token', 'pkce', 'oidc')),
    signature    TEXT     NOT NULL,
    request_id   TEXT     NOT NULL,
    client_id    TEXT     NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    subject      TEXT     NOT NULL DEFAULT '',
    active       INTEGER  NOT NULL DEFAULT 1,
    requested_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    data         TEXT     NOT NULL,
    PRIMARY KEY (kind, signature)
);

CREATE INDEX oauth_tokens_request ON oauth_tokens (request_id);

CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);

CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

CREATE TABLE oauth_keys (
    id           TEXT PRIMARY KEY,
    kind         TEXT     NOT NULL CHECK (kind IN ('RS256', 'ES256', 'token-hmac', 'secret-hmac')),
    generation   INTEGER  NOT NULL CHECK (generation > 0),
    sealed       TEXT     NOT NULL,
    created_at   DATETIME NOT NULL,
    activates_at DATETIME NOT NULL,
    UNIQUE (kind, generation)
);

CREATE UNIQUE INDEX audit_logs_sequence_key ON audit_logs (sequence);

CREATE INDEX audit_logs_unsealed_idx ON audit_logs (pos) WHERE sequence IS NULL;

CREATE TABLE external_identities (
    id              TEXT PRIMARY KEY,
    user_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider        TEXT     NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    subject         TEXT     NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           TEXT     NOT NULL DEFAULT '',
    email_verified  BOOLEAN  NOT NULL DEFAULT 0,
    name            TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    last_sign_in_at DATETIME NOT NULL
);

CREATE UNIQUE INDEX external_identities_provider_subject_key ON external_identities (provider, subject);

CREATE INDEX external_identities_user ON external_identities (user_id, created_at);

CREATE TABLE federation_flows (
    state_hash       TEXT PRIMARY KEY CHECK (length(state_hash) = 64),
    binding_hash     TEXT     NOT NULL CHECK (length(binding_hash) = 64),
    provider         TEXT     NOT NULL,
    nonce            TEXT     NOT NULL,
    verifier         TEXT     NOT NULL,
    return_to        TEXT     NOT NULL DEFAULT '',
    delivery         TEXT     NOT NULL CHECK (delivery IN ('cookie', 'code')),
    link_user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    provider_session TEXT     NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    expires_at       DATETIME NOT NULL
);

CREATE INDEX federation_flows_expires ON federation_flows (expires_at);

CREATE TABLE federation_login_codes (
    code_hash  TEXT PRIMARY KEY CHECK (length(code_hash) = 64),
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method     TEXT     NOT NULL,
    amr        TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);

CREATE INDEX federation_login_codes_expires ON federation_login_codes (expires_at);

INSERT INTO "audit_chain_head" VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;

CREATE TRIGGER organization_memberships_count_insert AFTER INSERT ON organization_memberships
BEGIN
    UPDATE organizations
    SET member_count = member_count + 1, owner_count = owner_count + (NEW.role = 'owner')
    WHERE id = NEW.organization_id;
END;

CREATE TRIGGER organization_memberships_count_delete AFTER DELETE ON organization_memberships
BEGIN
    UPDATE organizations
    SET member_count = member_count - 1, owner_count = owner_count - (OLD.role = 'owner')
    WHERE id = OLD.organization_id;
END;

CREATE TRIGGER organization_memberships_count_update AFTER UPDATE OF organization_id, role ON organization_memberships
WHEN OLD.organization_id <> NEW.organization_id OR (OLD.role = 'owner') <> (NEW.role = 'owner')
BEGIN
    UPDATE organizations
    SET member_count = member_count - 1, owner_count = owner_count - (OLD.role = 'owner')
    WHERE id = OLD.organization_id;
    UPDATE organizations
    SET member_count = member_count + 1, owner_count = owner_count + (NEW.role = 'owner')
    WHERE id = NEW.organization_id;
END;

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
WHEN NOT (
    OLD.sequence IS NULL AND NEW.sequence IS NOT NULL
    AND NEW.sequence > (SELECT h.sequence FROM audit_chain_head h WHERE h.id = 1)
    AND OLD.prev_hash = '' AND OLD.hash = '' AND NEW.prev_hash <> '' AND NEW.hash <> ''
    AND NEW.pos = OLD.pos AND NEW.id = OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.actor_type = OLD.actor_type AND NEW.action = OLD.action
    AND NEW.actor_id IS OLD.actor_id AND NEW.target_type IS OLD.target_type
    AND NEW.target_id IS OLD.target_id AND NEW.organization_id IS OLD.organization_id
    AND NEW.client_ip IS OLD.client_ip AND NEW.user_agent IS OLD.user_agent
    AND NEW.request_id IS OLD.request_id AND NEW.correlation_id IS OLD.correlation_id
    AND NEW.details = OLD.details
)
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only');
END;
