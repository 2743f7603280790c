-- +goose Up
-- SAML connections: the identity provider's metadata (as given, or as
-- fetched from its URL) and its entity id; whether unsolicited responses
-- are accepted; and the service provider's certificate and private key,
-- issued by Authy's certificate authority, the key sealed under the
-- ENCRYPTION_KEY keyring.
ALTER TABLE sso_connections ADD COLUMN saml_metadata_url text NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_metadata_xml text NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_idp_entity_id text NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_allow_idp_initiated boolean NOT NULL DEFAULT false;
ALTER TABLE sso_connections ADD COLUMN saml_certificate text NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_sealed_key text NOT NULL DEFAULT '';
ALTER TABLE sso_connections ADD COLUMN saml_certificate_rotated_at timestamptz;

-- The certificate authority that issues the service providers'
-- certificates: one row, its private key sealed under the
-- CA_ENCRYPTION_KEY keyring. Instances starting together insert one (the
-- primary key admits a single row).
CREATE TABLE sso_certificate_authority (
    id          integer PRIMARY KEY CHECK (id = 1),
    certificate text NOT NULL,
    sealed_key  text NOT NULL,
    created_at  timestamptz NOT NULL
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
