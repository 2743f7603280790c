package bootstrap

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadOIDCProviders_ReadsEachNamesVariablesWithTheDefaultScopes(t *testing.T) {
	env := map[string]string{
		"OIDC_ACME_ISSUER": "https://idp.acme.example", "OIDC_ACME_CLIENT_ID": "id", "OIDC_ACME_CLIENT_SECRET": "s",
		"OIDC_ACME_DISPLAY_NAME": "Acme SSO",
		"OIDC_CORP_SSO_ISSUER":   "https://corp.example", "OIDC_CORP_SSO_CLIENT_ID": "c", "OIDC_CORP_SSO_CLIENT_SECRET": "t",
		"OIDC_CORP_SSO_SCOPES": "openid, email groups",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got := readOIDCProviders([]string{" acme", "corp-sso", ""}, lookup)
	want := []OIDCProviderConfig{
		{Name: "acme", DisplayName: "Acme SSO", Issuer: "https://idp.acme.example", ClientID: "id", ClientSecret: "s", Scopes: []string{"openid", "email", "profile"}},
		{Name: "corp-sso", Issuer: "https://corp.example", ClientID: "c", ClientSecret: "t", Scopes: []string{"openid", "email", "groups"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestValidate_RefusesIncompleteOrUnsafeProviderSettings(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"half a Google client":         {func(c *Config) { c.GoogleClientID = "x" }, "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"},
		"a GitHub URL that is not one": {func(c *Config) { c.GitHubURL = "ghe.example" }, "GITHUB_URL"},
		"a bad OIDC name": {func(c *Config) {
			c.OIDC = []OIDCProviderConfig{{Name: "Acme", Issuer: "https://i", ClientID: "a", ClientSecret: "b"}}
		}, "OIDC_PROVIDERS"},
		"a built-in name": {func(c *Config) {
			c.OIDC = []OIDCProviderConfig{{Name: "google", Issuer: "https://i", ClientID: "a", ClientSecret: "b"}}
		}, "built-in"},
		"a missing issuer": {func(c *Config) { c.OIDC = []OIDCProviderConfig{{Name: "acme", ClientID: "a", ClientSecret: "b"}} }, "OIDC_ACME_ISSUER"},
		"plain http in production": {func(c *Config) {
			c.AppEnv, c.SecretKey, c.EncryptionKey = EnvProduction, strings.Repeat("k", 40), strings.Repeat("e", 40)
			c.OIDC = []OIDCProviderConfig{{Name: "acme", Issuer: "http://idp.example", ClientID: "a", ClientSecret: "b"}}
		}, "must use https in production"},
		"a tenant with a path": {func(c *Config) { c.MicrosoftTenant = "a/b" }, "MICROSOFT_TENANT"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.mutate(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a problem naming %s", err, c.want)
			}
		})
	}
	ok := DefaultConfig()
	ok.OIDC = []OIDCProviderConfig{{Name: "acme", Issuer: "http://127.0.0.1:9/oidc", ClientID: "a", ClientSecret: "b"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a complete provider is refused: %v", err)
	}
}
