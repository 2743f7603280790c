package bootstrap

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/secuird/authy/domain/federation"
)

// OIDCProviderConfig is one OpenID Connect provider, from the variables
// OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SCOPES (space or comma
// separated, default "openid email profile") and _DISPLAY_NAME, where
// <NAME> is the name upper-cased with "-" as "_".
type OIDCProviderConfig struct {
	Name         string
	DisplayName  string
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
}

// defaultOIDCScopes are the scopes asked of an OpenID Connect provider
// whose OIDC_<NAME>_SCOPES is unset.
var defaultOIDCScopes = []string{"openid", "email", "profile"}

// oidcEnvPrefix is the prefix of a provider's variables.
func oidcEnvPrefix(name string) string {
	return "OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
}

// readOIDCProviders reads the settings of each name in OIDC_PROVIDERS
// through lookup (os.LookupEnv): the configuration struct cannot name
// variables that depend on another one's value.
func readOIDCProviders(names []string, lookup func(string) (string, bool)) []OIDCProviderConfig {
	var out []OIDCProviderConfig
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		if name == "" {
			continue
		}
		get := func(key string) string {
			v, _ := lookup(oidcEnvPrefix(name) + key)
			return strings.TrimSpace(v)
		}
		c := OIDCProviderConfig{
			Name: name, DisplayName: get("DISPLAY_NAME"), Issuer: get("ISSUER"),
			ClientID: get("CLIENT_ID"), ClientSecret: get("CLIENT_SECRET"),
			Scopes: strings.FieldsFunc(get("SCOPES"), func(r rune) bool { return r == ' ' || r == ',' }),
		}
		if len(c.Scopes) == 0 {
			c.Scopes = append([]string(nil), defaultOIDCScopes...)
		}
		out = append(out, c)
	}
	return out
}

// socialProviderNames are the built-in providers; an OpenID Connect
// provider may not take their names.
var socialProviderNames = map[string]bool{"google": true, "github": true, "microsoft": true}

// validateFederation checks the provider settings: both halves of each
// client, usable URLs, and OpenID Connect names that are valid, unique
// and complete.
func (c Config) validateFederation() []string {
	var problems []string
	pair := func(id, secret, idName, secretName string) {
		if (id == "") != (secret == "") {
			problems = append(problems, fmt.Sprintf("%s and %s must be set together", idName, secretName))
		}
	}
	pair(c.GoogleClientID, c.GoogleClientSecret, "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")
	pair(c.GitHubClientID, c.GitHubClientSecret, "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
	pair(c.MicrosoftClientID, c.MicrosoftClientSecret, "MICROSOFT_CLIENT_ID", "MICROSOFT_CLIENT_SECRET")
	if c.GitHubURL != "" {
		if p := c.checkProviderURL("GITHUB_URL", c.GitHubURL); p != "" {
			problems = append(problems, p)
		}
	}
	if t := c.MicrosoftTenant; t == "" || strings.ContainsAny(t, "/?#%@ ") {
		problems = append(problems, "MICROSOFT_TENANT must be common, organizations, consumers or a tenant id")
	}
	seen := map[string]bool{}
	for _, o := range c.OIDC {
		prefix := oidcEnvPrefix(o.Name)
		if _, err := federation.ParseProviderName(o.Name); err != nil {
			problems = append(problems, fmt.Sprintf("OIDC_PROVIDERS: %q must be 1 to 32 characters of a-z, 0-9 and -, starting with a letter", o.Name))
			continue
		}
		if socialProviderNames[o.Name] {
			problems = append(problems, fmt.Sprintf("OIDC_PROVIDERS: %q is the name of a built-in provider; choose another", o.Name))
		}
		if seen[o.Name] {
			problems = append(problems, fmt.Sprintf("OIDC_PROVIDERS names %q twice", o.Name))
		}
		seen[o.Name] = true
		if o.Issuer == "" || o.ClientID == "" || o.ClientSecret == "" {
			problems = append(problems, fmt.Sprintf("%sISSUER, %sCLIENT_ID and %sCLIENT_SECRET must be set", prefix, prefix, prefix))
		} else if p := c.checkProviderURL(prefix+"ISSUER", o.Issuer); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

// checkProviderURL accepts an absolute URL without user info or fragment;
// in production it must be https.
func (c Config) checkProviderURL(name, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Sprintf("%s must be an absolute http(s) URL (got %q)", name, raw)
	}
	if c.Production() && u.Scheme != "https" {
		return fmt.Sprintf("%s must use https in production", name)
	}
	return ""
}
