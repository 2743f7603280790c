package pageshttp_test

import (
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/httpapi/pageshttp"
)

func policy(t *testing.T) pageshttp.ReturnPolicy {
	t.Helper()
	r, err := pageshttp.NewReturnPolicy("https://auth.example.com", []string{
		"https://app.example.com",             // an origin: any URL on it
		"https://spa.example.net/signed-in",   // one exact URL
		"http://localhost:3000/",              // loopback may be plain http
		"http://127.0.0.1:8080/callback?x=1",  // exact, with its query
		"  https://Other.Example.org:8443/  ", // trimmed, case-folded origin with a port
		"",                                    // empty entries are skipped
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReturnPolicy_AcceptsOwnPathsOwnOriginAndRegisteredTargetsOnly(t *testing.T) {
	r := policy(t)
	for _, raw := range []string{
		"/account",
		"/",
		"/invitations/accept?token=abc_DEF-123",
		"/oauth2/authorize?client_id=x&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s",
		"/account#settings",
		"/a/b/../c",
		"https://auth.example.com/account",
		"https://auth.example.com:443/account",
		"HTTPS://AUTH.EXAMPLE.COM/account",
		"https://auth.example.com//double/slash/is/still/ours",
		"https://app.example.com/",
		"https://app.example.com/deep/path?q=1",
		"https://spa.example.net/signed-in",
		"http://localhost:3000/anything",
		"http://127.0.0.1:8080/callback?x=1",
		"https://other.example.org:8443/x",
	} {
		got, ok := r.Check(raw)
		if !ok || got != raw {
			t.Errorf("Check(%q) = %q, %v; want it accepted as is", raw, got, ok)
		}
	}
}

func TestReturnPolicy_RefusesEveryOpenRedirectTrick(t *testing.T) {
	r := policy(t)
	for _, raw := range []string{
		// Other hosts, spelled every way browsers accept.
		"//evil.example",
		"///evil.example",
		"////evil.example/x",
		"/\\evil.example",
		"\\\\evil.example",
		"/\\/evil.example",
		"https://evil.example",
		"http://evil.example/account",
		"https:evil.example",
		"https:/evil.example",
		"https:///evil.example",
		"//auth.example.com@evil.example",
		"https://auth.example.com@evil.example",
		"https://user:pass@auth.example.com/account",
		"https://auth.example.com.evil.example/",
		"https://auth.example.com./account",
		"https://evil.example#@auth.example.com",
		"https://evil.example?@auth.example.com",
		"https://auth.example.com%2eevil.example/",
		"https://auth.example.com%40evil.example/",
		"https://app.example.com.evil.example/",
		"https://xapp.example.com/",
		// Another scheme or port of a trusted host.
		"http://auth.example.com/account",
		"https://auth.example.com:8443/account",
		"http://app.example.com/",
		"https://app.example.com:444/",
		"http://localhost:3001/",
		"https://localhost:3000/",
		"ftp://auth.example.com/",
		// An exact target is exact.
		"https://spa.example.net/signed-in/",
		"https://spa.example.net/other",
		"https://spa.example.net/signed-in?next=/x",
		"http://127.0.0.1:8080/callback",
		"http://127.0.0.1:8080/callback?x=2",
		// Script and data URLs.
		"javascript:alert(1)",
		"JavaScript:alert(1)",
		"javascript://auth.example.com/%0aalert(1)",
		" javascript:alert(1)",
		"java\tscript:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"vbscript:msgbox(1)",
		// Browsers drop tabs and newlines, read backslashes as slashes.
		"/\t/evil.example",
		"/\n/evil.example",
		"/\r\n/evil.example",
		" /account",
		"/account ",
		"/ /evil.example",
		"\x00/account",
		"/account\\..\\..\\evil",
		// Encoded slashes and backslashes a layer in between may decode.
		"/%2Fevil.example",
		"/%2f%2fevil.example",
		"/%5Cevil.example",
		"/%5c%5cevil.example",
		"%2F%2Fevil.example",
		"/%252F%252Fevil.example/%",
		// Look-alike Unicode and other non-ASCII.
		"/\uff0fevil.example",
		"https://auth.example.com\u3002evil.example/",
		"https://аuth.example.com/",
		// Relative paths that are not absolute paths.
		"evil.example",
		"account",
		"./account",
		"../account",
		"?return_to=//evil.example",
		"#frag",
		// Fragments on absolute URLs, and absurd lengths.
		"https://app.example.com/#/route",
		"/" + strings.Repeat("a", 2048),
		"",
	} {
		if got, ok := r.Check(raw); ok || got != "" {
			t.Errorf("Check(%q) = %q, %v; want it refused", raw, got, ok)
		}
	}
}

func TestReturnPolicy_OrFallsBackToTheAccountPage(t *testing.T) {
	r := policy(t)
	got, _ := r.Check("//evil.example")
	if pageshttp.Or(got) != "/account" || pageshttp.Or("/x") != "/x" {
		t.Fatalf("Or(%q) = %q", got, pageshttp.Or(got))
	}
}

func TestNewReturnPolicy_RefusesUnsafeEntriesAndABadPublicURL(t *testing.T) {
	for _, entry := range []string{
		"http://app.example.com",       // plain http off loopback
		"https://user@app.example.com", // user info
		"https://app.example.com/#x",   // fragment
		"app.example.com",              // not absolute
		"javascript:alert(1)",
		"https://",
		"https://app.example.com:99999/",
		"//app.example.com",
	} {
		if _, err := pageshttp.NewReturnPolicy("https://auth.example.com", []string{entry}); err == nil {
			t.Errorf("entry %q accepted", entry)
		}
	}
	for _, pub := range []string{"", "auth.example.com", "ftp://auth.example.com", "https://u@auth.example.com", "/relative"} {
		if _, err := pageshttp.NewReturnPolicy(pub, nil); err == nil {
			t.Errorf("PUBLIC_URL %q accepted", pub)
		}
	}
}

func TestReturnPolicy_FormTargetsAreTheRegisteredOriginsOnce(t *testing.T) {
	got := strings.Join(policy(t).FormTargets(), " ")
	want := "https://app.example.com https://spa.example.net http://localhost:3000 http://127.0.0.1:8080 https://other.example.org:8443"
	if got != want {
		t.Fatalf("form targets %q, want %q", got, want)
	}
}
