-- +goose Up
-- A sign-in through an organization's OpenID Connect connection records
-- the session method "sso-oidc:<connection id>", as the SAML one records
-- "saml:<connection id>". Rows written before said "sso_oidc:<id>": the
-- live sessions, the login codes and the sign-in challenges waiting to be
-- redeemed take the new name, so what reads a method sees one form.
UPDATE sessions SET auth_method = 'sso-oidc:' || substr(auth_method, 10)
 WHERE substr(auth_method, 1, 9) = 'sso_oidc:';
UPDATE federation_login_codes SET method = 'sso-oidc:' || substr(method, 10)
 WHERE substr(method, 1, 9) = 'sso_oidc:';
UPDATE mfa_challenges SET method = 'sso-oidc:' || substr(method, 10)
 WHERE substr(method, 1, 9) = 'sso_oidc:';

-- +goose Down
UPDATE mfa_challenges SET method = 'sso_oidc:' || substr(method, 10)
 WHERE substr(method, 1, 9) = 'sso-oidc:';
UPDATE federation_login_codes SET method = 'sso_oidc:' || substr(method, 10)
 WHERE substr(method, 1, 9) = 'sso-oidc:';
UPDATE sessions SET auth_method = 'sso_oidc:' || substr(auth_method, 10)
 WHERE substr(auth_method, 1, 9) = 'sso-oidc:';
