package pageshttp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// maxReturnTo bounds a return_to value.
const maxReturnTo = 2048

// DefaultReturn is where a page sends the browser when no acceptable
// return_to was given.
const DefaultReturn = "/account"

// origin is a scheme and a host with its port, lower case, the default
// port left out.
type origin struct{ scheme, host string }

func (o origin) String() string { return o.scheme + "://" + o.host }

// ReturnPolicy decides where the pages may send a browser when they are
// done (return_to): a path on Authy's own origin, Authy's own origin
// (PUBLIC_URL) as an absolute URL, or a registered target (AUTH_RETURN_URLS:
// an origin, which allows any URL on it, or an exact URL). Anything else is
// refused, so a link can never turn the sign-in page into an open
// redirect.
type ReturnPolicy struct {
	self    origin
	origins map[origin]bool
	exact   map[string]bool
	targets []string
}

// NewReturnPolicy reads PUBLIC_URL and the AUTH_RETURN_URLS entries. An
// entry must be an absolute https URL (http only for a loopback host)
// without user info or fragment; an entry with no path (or "/") and no
// query is an origin.
func NewReturnPolicy(publicURL string, allowed []string) (ReturnPolicy, error) {
	pu, err := url.Parse(publicURL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil {
		return ReturnPolicy{}, fmt.Errorf("PUBLIC_URL must be an absolute http(s) URL (got %q)", publicURL)
	}
	self, ok := originOf(pu)
	if !ok {
		return ReturnPolicy{}, fmt.Errorf("PUBLIC_URL has an invalid host or port (got %q)", publicURL)
	}
	r := ReturnPolicy{self: self, origins: map[origin]bool{}, exact: map[string]bool{}}
	seen := map[origin]bool{}
	for _, raw := range allowed {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := parseTarget(raw)
		if err != nil {
			return ReturnPolicy{}, fmt.Errorf("AUTH_RETURN_URLS: %q %w", raw, err)
		}
		o, _ := originOf(u)
		if o.scheme == "http" && !loopback(u.Hostname()) {
			return ReturnPolicy{}, fmt.Errorf("AUTH_RETURN_URLS: %q must use https (plain http only for a loopback host)", raw)
		}
		if (u.Path == "" || u.Path == "/") && u.RawQuery == "" && !u.ForceQuery {
			r.origins[o] = true
		} else {
			r.exact[exactKey(o, u)] = true
		}
		if !seen[o] && o != self {
			seen[o] = true
			r.targets = append(r.targets, o.String())
		}
	}
	return r, nil
}

// FormTargets are the registered origins (for the pages' CSP form-action).
func (r ReturnPolicy) FormTargets() []string { return append([]string(nil), r.targets...) }

// Check returns where to send the browser for raw and whether raw is
// acceptable; an unacceptable or empty one gives ("", false).
func (r ReturnPolicy) Check(raw string) (string, bool) {
	if raw == "" || len(raw) > maxReturnTo || !plainASCII(raw) {
		return "", false
	}
	if strings.HasPrefix(raw, "/") {
		if !localPath(raw) {
			return "", false
		}
		return raw, true
	}
	u, err := parseTarget(raw)
	if err != nil {
		return "", false
	}
	o, _ := originOf(u)
	switch {
	case o == r.self:
		// Authy's own origin: the path is ours whatever it looks like
		// (Location is absolute, so "//" in it names no other host).
	case r.origins[o]:
	case r.exact[exactKey(o, u)]:
	default:
		return "", false
	}
	return raw, true
}

// Or returns target, or DefaultReturn when target is empty.
func Or(target string) string {
	if target == "" {
		return DefaultReturn
	}
	return target
}

// plainASCII refuses control characters, spaces, backslashes and anything
// outside printable ASCII: browsers drop tabs and newlines inside URLs
// ("/\t/evil.example" becomes "//evil.example"), read "\" as "/", and map
// look-alike Unicode slashes and dots in host names.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// localPath accepts a path on Authy's own origin: "/" followed by anything
// but a second "/" (a scheme-relative URL names another host), also once
// percent-decoded (a proxy or framework in between may decode "%2F").
func localPath(p string) bool {
	if strings.HasPrefix(p, "//") {
		return false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	dec, err := url.PathUnescape(u.EscapedPath())
	if err != nil || strings.HasPrefix(dec, "//") || strings.Contains(dec, "\\") || !plainASCII(dec) {
		return false
	}
	return true
}

var (
	errNotAbsolute = errors.New("is not an absolute http(s) URL")
	errUserInfo    = errors.New("must not carry user info")
	errFragment    = errors.New("must not carry a fragment")
)

// parseTarget parses an absolute http(s) URL with a host and no user info,
// refusing the forms browsers read differently from Go ("https:evil",
// "https:/evil", percent signs in the authority).
func parseTarget(raw string) (*url.URL, error) {
	if !plainASCII(raw) {
		return nil, errNotAbsolute
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || (strings.ToLower(scheme) != "http" && strings.ToLower(scheme) != "https") {
		return nil, errNotAbsolute
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if authority == "" || strings.ContainsAny(authority, "%") {
		return nil, errNotAbsolute
	}
	if strings.Contains(authority, "@") {
		return nil, errUserInfo
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, errNotAbsolute
	}
	if u.User != nil {
		return nil, errUserInfo
	}
	if _, ok := originOf(u); !ok {
		return nil, errNotAbsolute
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.Contains(raw, "#") {
		return nil, errFragment
	}
	return u, nil
}

// originOf returns u's origin; ok is false for a port that is not a number
// in range.
func originOf(u *url.URL) (origin, bool) {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port != "" {
		n := 0
		for _, c := range port {
			if c < '0' || c > '9' {
				return origin{}, false
			}
			n = n*10 + int(c-'0')
			if n > 65535 {
				return origin{}, false
			}
		}
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return origin{scheme: u.Scheme, host: host}, true
}

func exactKey(o origin, u *url.URL) string {
	k := o.String() + u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		k += "?" + u.RawQuery
	}
	return k
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
