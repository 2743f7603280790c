package shared

import (
	"net/netip"
	"strings"
)

// UnknownClientKey is the one bucket every client address that does not
// parse shares. Inbound adapters always hand over a parsable address, so only
// internal callers (operator commands, tests) land here; sharing one bucket
// keeps arbitrary strings from minting unlimited fresh budgets.
const UnknownClientKey = "unknown"

// ClientKey is the identity of a client for per-client limits and for
// remembering where an account signs in from:
//   - an IPv4 address is itself;
//   - an IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address;
//   - any other IPv6 address is its /64 ("2001:db8:1:2::/64"), the block one
//     subscriber usually holds, so rotating addresses within it does not
//     multiply a limit; a zone (fe80::1%eth0) is dropped for the same reason;
//   - anything that does not parse is UnknownClientKey.
//
// Every per-client rate-limit key is built from ClientKey so that all limits
// agree on who a client is.
func ClientKey(ip string) string {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return UnknownClientKey
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return UnknownClientKey
	}
	return p.String()
}
