package shared

import "strings"

// ReasonDomainInvalid is ParseDomainName's reason for a refused name.
const ReasonDomainInvalid = "must be a domain name such as example.com (no wildcard, IP address, port or trailing dot)"

// ParseDomainName trims s and returns the canonical ASCII form of a domain
// name an organization can prove it controls: the same form Email.Domain
// gives (IDNA A-labels, lower case), so an address and a domain compare as
// strings. It refuses wildcards, IP addresses, ports, a trailing dot, a
// single label and over-long names with ReasonDomainInvalid (the reason is
// empty for an accepted name).
func ParseDomainName(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxDomainLength || HasInvisible(s) || strings.HasSuffix(s, ".") {
		return "", ReasonDomainInvalid
	}
	d, ok := asciiDomain(s)
	if !ok {
		return "", ReasonDomainInvalid
	}
	return d, ""
}
