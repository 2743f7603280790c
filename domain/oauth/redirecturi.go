package oauth

import (
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxRedirectURILength bounds a registered redirect URI.
const MaxRedirectURILength = 2000

// RedirectURI is a registered redirect (or post-logout redirect) URI.
//
// Invariants: absolute, at most MaxRedirectURILength bytes of printable
// ASCII; no fragment (RFC 6749 §3.1.2), no user information, no wildcard;
// the scheme is https, http with a loopback host (localhost, 127.0.0.0/8 or
// [::1]: a native app's listener, RFC 8252 §7.3), or a private-use scheme
// named after a domain the app owns (com.example.app:/cb, RFC 8252 §7.1).
// The URI is kept exactly as registered: a request's redirect_uri matches
// only the same string (Matches), except for the port of a loopback IP
// literal, which a native app picks at run time (RFC 8252 §7.3).
type RedirectURI struct{ raw string }

// ParseRedirectURI validates s as a redirect URI; the error is the reason,
// for a per-field message.
func ParseRedirectURI(s string) (RedirectURI, string) {
	switch {
	case s == "":
		return RedirectURI{}, "must not be empty"
	case len(s) > MaxRedirectURILength:
		return RedirectURI{}, "must be at most 2000 characters"
	case !utf8.ValidString(s):
		return RedirectURI{}, "must be valid UTF-8"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f {
			return RedirectURI{}, "must not contain spaces, control or non-ASCII characters (percent-encode them)"
		}
	}
	if strings.Contains(s, "#") {
		return RedirectURI{}, "must not contain a fragment"
	}
	if strings.Contains(s, "*") {
		return RedirectURI{}, "must not contain a wildcard: register each URI exactly"
	}
	if strings.Contains(s, `\`) {
		return RedirectURI{}, "must not contain a backslash"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return RedirectURI{}, "must be an absolute URI"
	}
	if u.Opaque != "" {
		return RedirectURI{}, "must be a hierarchical URI (scheme:/path or scheme://host/path)"
	}
	if u.User != nil {
		return RedirectURI{}, "must not contain user information"
	}
	// url.Parse lowers the scheme; the registered string must already be
	// lower case, or it would never match a request exactly.
	if raw, _, _ := strings.Cut(s, ":"); raw != u.Scheme {
		return RedirectURI{}, "the scheme must be lower case"
	}
	scheme := u.Scheme
	switch {
	case scheme == "https":
		if u.Hostname() == "" {
			return RedirectURI{}, "must name a host"
		}
	case scheme == "http":
		if u.Hostname() == "" {
			return RedirectURI{}, "must name a host"
		}
		if !IsLoopbackHost(u.Hostname()) {
			return RedirectURI{}, "must use https; plain http is allowed only for localhost, 127.0.0.1 and [::1]"
		}
	case isPrivateUseScheme(scheme):
		if u.Host != "" {
			return RedirectURI{}, "a private-use scheme takes a path, not a host (com.example.app:/callback)"
		}
	default:
		return RedirectURI{}, "must use https, http on a loopback host, or a private-use scheme such as com.example.app"
	}
	if u.Port() != "" && !validPort(u.Port()) {
		return RedirectURI{}, "the port must be a number from 1 to 65535"
	}
	return RedirectURI{raw: s}, ""
}

// IsLoopbackHost reports localhost, an IPv4 address in 127.0.0.0/8 and
// ::1 (without brackets), the hosts a redirect URI may reach over plain http.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// isPrivateUseScheme reports a reverse-domain scheme (RFC 8252 §7.1): at
// least one dot, and only letters, digits, dots, plus and minus, starting
// with a letter (RFC 3986 §3.1).
func isPrivateUseScheme(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case (r >= '0' && r <= '9') || r == '.' || r == '+' || r == '-':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n >= 1 && n <= 65535
}

// String returns the URI as registered.
func (r RedirectURI) String() string { return r.raw }

// IsZero reports the zero RedirectURI.
func (r RedirectURI) IsZero() bool { return r.raw == "" }

// Matches reports whether requested, a redirect_uri from a request, is
// this URI: the same string, or, for an http loopback IP literal, the same
// string but for the port (RFC 8252 §7.3; "localhost" is a name that could
// resolve elsewhere, so its port is fixed like any host's).
func (r RedirectURI) Matches(requested string) bool {
	if requested == r.raw {
		return true
	}
	if !strings.HasPrefix(r.raw, "http://") || !strings.HasPrefix(requested, "http://") {
		return false
	}
	reg, err1 := url.Parse(r.raw)
	req, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || req.User != nil || req.Fragment != "" || strings.Contains(requested, "#") {
		return false
	}
	host := reg.Hostname()
	if _, err := netip.ParseAddr(host); err != nil || !IsLoopbackHost(host) || req.Hostname() != host {
		return false
	}
	if req.Port() != "" && !validPort(req.Port()) {
		return false
	}
	strip := func(u *url.URL) string {
		c := *u
		c.Host = c.Hostname()
		if strings.Contains(c.Host, ":") {
			c.Host = "[" + c.Host + "]"
		}
		return c.String()
	}
	return strip(reg) == strip(req) && req.RawQuery == reg.RawQuery && req.EscapedPath() == reg.EscapedPath()
}
