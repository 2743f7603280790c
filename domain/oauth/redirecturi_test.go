package oauth_test

import (
	"strings"
	"testing"

	"github.com/secuird/authy/domain/oauth"
)

func TestParseRedirectURI_AcceptsHTTPSLoopbackHTTPAndPrivateUseSchemes(t *testing.T) {
	for _, s := range []string{
		"https://app.example.com/callback",
		"https://app.example.com:8443/cb?tenant=acme",
		"http://localhost:3000/callback",
		"http://127.0.0.1:3000/callback",
		"http://127.0.0.1/callback",
		"http://127.8.9.10:65535/cb",
		"http://[::1]:8080/cb",
		"com.example.app:/oauth2redirect",
		"com.example.app:/cb?x=1",
	} {
		t.Run(s, func(t *testing.T) {
			u, reason := oauth.ParseRedirectURI(s)
			if reason != "" {
				t.Fatalf("refused: %s", reason)
			}
			if u.String() != s {
				t.Fatalf("kept %q, want the URI exactly as registered", u.String())
			}
		})
	}
}

func TestParseRedirectURI_RefusesWhatAnAttackerWouldRegister(t *testing.T) {
	for _, tc := range []struct{ name, uri, want string }{
		{"fragment", "https://app.example.com/cb#x", "fragment"},
		{"empty fragment", "https://app.example.com/cb#", "fragment"},
		{"plain http on a public host", "http://app.example.com/cb", "https"},
		{"plain http on a host named like loopback", "http://127.0.0.1.evil.example/cb", "https"},
		{"plain http on localhost as a subdomain", "http://localhost.evil.example/cb", "https"},
		{"plain http on a private address", "http://192.168.1.10/cb", "https"},
		{"user information", "https://user:pass@app.example.com/cb", "user information"},
		{"user information that hides the host", "https://app.example.com@evil.example/cb", "user information"},
		{"wildcard host", "https://*.example.com/cb", "wildcard"},
		{"wildcard path", "https://app.example.com/*", "wildcard"},
		{"relative", "/callback", "absolute"},
		{"scheme-relative", "//app.example.com/cb", "absolute"},
		{"javascript", "javascript:alert(1)", "hierarchical"},
		{"data", "data:text/html,hi", "hierarchical"},
		{"a scheme without a dot", "myapp:/cb", "private-use"},
		{"file", "file:///etc/passwd", "private-use"},
		{"https without host", "https:///cb", "host"},
		{"space", "https://app.example.com/c b", "spaces"},
		{"newline", "https://app.example.com/cb\n", "spaces"},
		{"non-ASCII", "https://аpp.example.com/cb", "non-ASCII"},
		{"backslash", `https://app.example.com\@evil.example/cb`, "backslash"},
		{"upper-case scheme", "HTTPS://app.example.com/cb", "lower case"},
		{"port zero", "http://127.0.0.1:0/cb", "port"},
		{"port out of range", "https://app.example.com:70000/cb", "port"},
		{"empty", "", "empty"},
		{"too long", "https://app.example.com/" + strings.Repeat("a", 2000), "2000"},
		{"IPv6 zone on loopback", "http://[::1%25eth0]:80/cb", "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, reason := oauth.ParseRedirectURI(tc.uri)
			if reason == "" {
				t.Fatalf("%q was accepted", tc.uri)
			}
			if !strings.Contains(reason, tc.want) {
				t.Fatalf("reason %q, want one mentioning %q", reason, tc.want)
			}
		})
	}
}

func TestRedirectURIMatches_ComparesExactlyButForALoopbackIPPort(t *testing.T) {
	reg := func(s string) oauth.RedirectURI {
		u, reason := oauth.ParseRedirectURI(s)
		if reason != "" {
			t.Fatal(reason)
		}
		return u
	}
	for _, tc := range []struct {
		registered, requested string
		match                 bool
	}{
		{"https://app.example.com/cb", "https://app.example.com/cb", true},
		{"https://app.example.com/cb", "https://app.example.com/cb/", false},
		{"https://app.example.com/cb", "https://APP.example.com/cb", false},
		{"https://app.example.com/cb", "https://app.example.com/cb?x=1", false},
		{"https://app.example.com/cb", "https://app.example.com/cb#x", false},
		{"https://app.example.com/cb", "https://app.example.com:443/cb", false},
		{"https://app.example.com/cb", "https://app.example.com.evil.example/cb", false},
		{"https://app.example.com/cb", "https://app.example.com/cb/../evil", false},
		{"https://app.example.com/cb", "https://app.example.com/CB", false},
		{"http://127.0.0.1:3000/cb", "http://127.0.0.1:51234/cb", true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:51234/cb", true},
		{"http://[::1]:3000/cb", "http://[::1]:4000/cb", true},
		{"http://127.0.0.1:3000/cb", "http://127.0.0.1:51234/other", false},
		{"http://127.0.0.1:3000/cb", "http://127.0.0.1:51234/cb?x=1", false},
		{"http://127.0.0.1:3000/cb", "http://127.0.0.2:3000/cb", false},
		{"http://127.0.0.1:3000/cb", "http://user@127.0.0.1:3000/cb?", false},
		{"http://127.0.0.1:3000/cb", "http://127.0.0.1:51234/cb#frag", false},
		{"http://127.0.0.1:3000/cb", "https://127.0.0.1:3000/cb", false},
		{"http://localhost:3000/callback", "http://localhost:3000/callback", true},
		{"http://localhost:3000/callback", "http://localhost:4000/callback", false},
	} {
		t.Run(tc.registered+" vs "+tc.requested, func(t *testing.T) {
			if got := reg(tc.registered).Matches(tc.requested); got != tc.match {
				t.Fatalf("Matches = %v, want %v", got, tc.match)
			}
		})
	}
}
