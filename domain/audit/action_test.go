package audit_test

import (
	"testing"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
)

func TestParseAction_AcceptsOnlyDottedLowerCaseNames(t *testing.T) {
	for s, ok := range map[string]bool{
		"auth.login.failed": true, "organization.member.role_changed": true, "sessions.expired": true,
		"": false, "auth": false, "Auth.login": false, "auth..login": false, "auth.login.": false,
		".auth": false, "auth.log-in": false, "auth.*": false,
	} {
		_, err := audit.ParseAction(s)
		if (err == nil) != ok {
			t.Errorf("ParseAction(%q) err = %v, want ok=%v", s, err, ok)
		}
		if err != nil && shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("ParseAction(%q): kind %v", s, shared.KindOf(err))
		}
	}
}

func TestParseActionFilter_ExactOrPrefix(t *testing.T) {
	cases := []struct {
		in      string
		prefix  bool
		value   string
		matches []string
		misses  []string
	}{
		{"", false, "", []string{"auth.login.failed", "user.deleted"}, nil},
		{"auth.login.failed", false, "auth.login.failed", []string{"auth.login.failed"}, []string{"auth.login.failed2", "auth.login"}},
		{"auth.", true, "auth.", []string{"auth.login.failed", "auth.register"}, []string{"authx.y", "user.deleted"}},
		{"auth.*", true, "auth.", []string{"auth.logout"}, []string{"organization.created"}},
		{"organization.member.", true, "organization.member.", []string{"organization.member.added"}, []string{"organization.created"}},
	}
	for _, c := range cases {
		f, err := audit.ParseActionFilter(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if f.IsPrefix() != c.prefix || f.Value() != c.value {
			t.Fatalf("%q: prefix=%v value=%q", c.in, f.IsPrefix(), f.Value())
		}
		for _, a := range c.matches {
			if !f.Matches(a) {
				t.Errorf("%q should match %q", c.in, a)
			}
		}
		for _, a := range c.misses {
			if f.Matches(a) {
				t.Errorf("%q should not match %q", c.in, a)
			}
		}
	}
	for _, bad := range []string{"*", "auth*", "AUTH.", "auth.%", "a b", "auth.*.x", ".*"} {
		if _, err := audit.ParseActionFilter(bad); err == nil {
			t.Errorf("ParseActionFilter(%q) should fail", bad)
		}
	}
}

func TestNewActor_IDRulesPerType(t *testing.T) {
	cases := []struct {
		typ, id string
		ok      bool
	}{
		{audit.ActorUser, "u1", true}, {audit.ActorUser, "", false},
		{audit.ActorClient, "acme-portal-001", true}, {audit.ActorSystem, "", true},
		{audit.ActorSystem, "x", false}, {audit.ActorAnonymous, "", true}, {"root", "", false},
		{audit.ActorUser, "bad\nid", false},
	}
	for _, c := range cases {
		if _, err := audit.NewActor(c.typ, c.id); (err == nil) != c.ok {
			t.Errorf("NewActor(%q, %q) err = %v", c.typ, c.id, err)
		}
	}
}

func TestNewTarget_NeedsATypeForAnID(t *testing.T) {
	if _, err := audit.NewTarget("", "x"); err == nil {
		t.Fatal("an id without a type must fail")
	}
	if _, err := audit.NewTarget("User", "x"); err == nil {
		t.Fatal("upper case type must fail")
	}
	if tg, err := audit.NewTarget("session", "s1"); err != nil || tg.Type() != "session" || tg.ID() != "s1" {
		t.Fatalf("%v %v", tg, err)
	}
}

func TestNewOrigin_CutsHostileHeadersInsteadOfFailing(t *testing.T) {
	long := ""
	for len(long) < 2000 {
		long += "é"
	}
	o := audit.NewOrigin("203.0.113.9", long+"\x00", "req\n1", "corr\r\n"+long)
	if len(o.UserAgent()) > audit.MaxUserAgentLength {
		t.Fatalf("user agent is %d bytes", len(o.UserAgent()))
	}
	if o.UserAgent()[len(o.UserAgent())-2:] != "é" {
		t.Fatal("cut split a character")
	}
	if len(o.CorrelationID()) > audit.MaxCorrelationIDLength || o.CorrelationID()[:4] != "corr" || o.CorrelationID()[4] == '\r' {
		t.Fatalf("correlation id %q", o.CorrelationID())
	}
	if o.RequestID() != "req1" || o.ClientIP() != "203.0.113.9" {
		t.Fatalf("%q %q", o.RequestID(), o.ClientIP())
	}
}
