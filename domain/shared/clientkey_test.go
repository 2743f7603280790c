package shared_test

import (
	"testing"

	"github.com/secuird/authy/domain/shared"
)

func TestClientKey_GroupsAddressesByTheClientThatHoldsThem(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"an IPv4 address is itself", "203.0.113.7", "203.0.113.7"},
		{"IPv4 loopback is itself", "127.0.0.1", "127.0.0.1"},
		{"an IPv4-mapped IPv6 address is unmapped", "::ffff:203.0.113.7", "203.0.113.7"},
		{"an IPv4-mapped address in hex is unmapped", "::ffff:cb00:7107", "203.0.113.7"},
		{"an IPv6 address is masked to its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"another address of the same /64 shares the key", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"the neighbouring /64 is another client", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"upper-case hex is the same client", "2001:DB8:1:2::9", "2001:db8:1:2::/64"},
		{"a zone is stripped", "fe80::1%eth0", "fe80::/64"},
		{"a different zone is the same client", "fe80::2%25wlan0", "fe80::/64"},
		{"IPv6 loopback is its /64", "::1", "::/64"},
		{"surrounding space is ignored", " 198.51.100.1 ", "198.51.100.1"},
		{"empty input is the unknown bucket", "", shared.UnknownClientKey},
		{"a host name is the unknown bucket", "example.org", shared.UnknownClientKey},
		{"an address with a port is the unknown bucket", "198.51.100.1:443", shared.UnknownClientKey},
		{"a prefix is the unknown bucket", "2001:db8::/32", shared.UnknownClientKey},
		{"garbage is the unknown bucket", "not an ip\x00", shared.UnknownClientKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := shared.ClientKey(tc.in); got != tc.want {
				t.Fatalf("ClientKey(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestClientKey_UnparsableInputsShareOneBucket(t *testing.T) {
	a, b := shared.ClientKey("forged-1"), shared.ClientKey("forged-2")
	if a != b {
		t.Fatalf("unparsable inputs must not mint distinct keys: %q vs %q", a, b)
	}
}
