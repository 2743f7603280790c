package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/secuird/authy/adapters/httpapi"
)

// clientIPOf sends GET /ip with one X-Forwarded-For header line per entry of
// lines (net/http writes each value on its own line) and returns the address
// the handler saw, checking the request metadata agrees.
func clientIPOf(t *testing.T, s *testServer, lines ...string) string {
	t.Helper()
	req := httptest.NewRequest("GET", "/ip", nil)
	for _, l := range lines {
		req.Header.Add("X-Forwarded-For", l)
	}
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var env struct {
		Data struct{ IP, Meta string } `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %s", raw)
	}
	if env.Data.IP != env.Data.Meta {
		t.Fatalf("ClientIP %q and the request metadata %q disagree", env.Data.IP, env.Data.Meta)
	}
	return env.Data.IP
}

func TestClientIP_ReadsEveryForwardedForLineRightToLeft(t *testing.T) {
	// app.Test connects from 0.0.0.0, which is listed as a proxy here.
	proxies, err := httpapi.ParseTrustedProxies([]string{"0.0.0.0/8", "10.0.0.0/8", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, httpapi.Options{TrustedProxies: proxies})
	cases := []struct {
		name  string
		lines []string
		want  string
	}{
		{"a proxy's own line after the client's forged one", []string{"203.0.113.66", "198.51.100.7"}, "198.51.100.7"},
		{"a forged line before a chain of trusted lines", []string{"203.0.113.66", "198.51.100.7, 10.0.0.5", "10.0.0.6"}, "198.51.100.7"},
		{"one line, right-most untrusted hop", []string{"198.51.100.1, 203.0.113.9, 10.1.2.3"}, "203.0.113.9"},
		{"an IPv4 hop with a port", []string{"203.0.113.66", "198.51.100.7:4711"}, "198.51.100.7"},
		{"a bracketed IPv6 hop with a port", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"a bracketed IPv6 hop without a port", []string{"[2001:db8::8]"}, "2001:db8::8"},
		{"an IPv6 hop with a zone", []string{"fe80::1%eth0"}, "fe80::1"},
		{"a trusted hop with a zone and a port", []string{"2001:db8::9, [fd00::1%25eth0]:8080"}, "2001:db8::9"},
		{"an IPv4-mapped IPv6 hop", []string{"::ffff:198.51.100.3"}, "198.51.100.3"},
		{"every hop trusted: the left-most", []string{"10.0.0.1", "10.0.0.2"}, "10.0.0.1"},
		{"stops at garbage, answering the last trusted hop", []string{"198.51.100.1, garbage, 10.0.0.5"}, "10.0.0.5"},
		{"stops at an empty entry", []string{"198.51.100.1,,10.0.0.5"}, "10.0.0.5"},
		{"stops at a garbage line", []string{"198.51.100.1", "garbage"}, "0.0.0.0"},
		{"stops at a port without brackets on IPv6", []string{"198.51.100.1", "2001:db8::1:80:x"}, "0.0.0.0"},
		{"no header: the peer", nil, "0.0.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := clientIPOf(t, s, tc.lines...); got != tc.want {
				t.Fatalf("X-Forwarded-For %q: client %q, want %q", tc.lines, got, tc.want)
			}
		})
	}
}

func TestClientIP_IgnoresEveryForwardedForLineFromAnUntrustedPeer(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	if got := clientIPOf(t, s, "203.0.113.66", "198.51.100.7"); got != "0.0.0.0" {
		t.Fatalf("an untrusted peer's header was believed: %q", got)
	}
}
