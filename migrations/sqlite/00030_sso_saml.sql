-- +goose Up
-- SAML connections: the identity provider's metadata (as given, or as
-- fetched from its URL) and its entity id; whether unsolicited responses
-- are accepted; and the service provider's certificate and private key,
-- issued by Authy's certificate authority, the key sealed under the
-- ENCRYPTION_KEY keyring.
ALTER TABLE sso_connections ADD COLUMN saml_metadata_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_metadata_xml TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_idp_entity_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_allow_idp_initiated BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE sso_connections ADD COLUMN saml_certificate TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_sealed_key TEXT NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_certificate_rotated_at DATETIME;

-- The certificate authority that issues the service providers'
-- certificates: one row, its private key sealed under the
-- CA_ENCRYPTION_KEY keyring. Instances starting together insert one (the
-- primary key admits a single row).
CREATE TABLE sso_certificate_authority (
    id          integer PRIMARY KEY CHECK (id = 1),
    certificate TEXT NOT NULL,
    sealed_key  TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE sso_certificate_authority;
ALTER TABLE sso_connections DROP COLUMN saml_certificate_rotated_at;
ALTER TABLE sso_connections DROP COLUMN saml_sealed_key;
ALTER TABLE sso_connections DROP COLUMN saml_certificate;
ALTER TABLE sso_connections DROP COLUMN saml_allow_idp_initiated;
ALTER TABLE sso_connections DROP COLUMN saml_idp_entity_id;
ALTER TABLE sso_connections DROP COLUMN saml_metadata_xml;
ALTER TABLE sso_connections DROP COLUMN saml_metadata_url;
