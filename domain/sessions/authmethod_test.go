package sessions_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
)

func TestParseAuthMethod_AcceptsKindsWithQualifiersAndKeepsTheAMROrder(t *testing.T) {
	for _, c := range []struct {
		name string
		amr  []string
		kind string
	}{
		{"password", []string{"pwd"}, "password"},
		{"social:github", []string{"ext"}, "social"},
		{"oidc:Acme-IdP.v2", []string{"ext"}, "oidc"},
		{"saml:0193a0c4-6b1e-7c3a-9f00-1234567890ab", []string{"ext"}, "saml"},
		{"mfa", []string{"pwd", "otp", "mfa"}, "mfa"},
		{"sso-oidc:0193a0c4-6b1e-7c3a-9f00-1234567890ab", []string{"fed"}, "sso-oidc"},
		{"sso_oidc:0193a0c4-6b1e-7c3a-9f00-1234567890ab", []string{"fed"}, "sso_oidc"},
	} {
		m, err := sessions.ParseAuthMethod(c.name, c.amr)
		if err != nil {
			t.Fatalf("ParseAuthMethod(%q, %v) = %v", c.name, c.amr, err)
		}
		if m.Name() != c.name || m.String() != c.name || m.Kind() != c.kind || !slices.Equal(m.AMR(), c.amr) || m.IsZero() {
			t.Fatalf("%q: got name %q kind %q amr %v", c.name, m.Name(), m.Kind(), m.AMR())
		}
	}
}

func TestParseAuthMethod_RefusesMalformedNamesAndAMRValues(t *testing.T) {
	for _, c := range []struct {
		why  string
		name string
		amr  []string
	}{
		{"empty name", "", []string{"pwd"}},
		{"upper-case kind", "Password", []string{"pwd"}},
		{"kind starting with a digit", "1pass", []string{"pwd"}},
		{"kind starting with a hyphen", "-sso:a", []string{"fed"}},
		{"kind ending with a hyphen", "sso-:a", []string{"fed"}},
		{"upper-case kind with a hyphen", "SSO-oidc:a", []string{"fed"}},
		{"hyphen in an amr value", "password", []string{"p-wd"}},
		{"empty qualifier", "social:", []string{"ext"}},
		{"two colons", "social:a:b", []string{"ext"}},
		{"space in qualifier", "oidc:a b", []string{"ext"}},
		{"control character", "password\n", []string{"pwd"}},
		{"kind too long", strings.Repeat("a", 33), []string{"pwd"}},
		{"qualifier too long", "oidc:" + strings.Repeat("a", 65), []string{"ext"}},
		{"no amr", "password", nil},
		{"empty amr value", "password", []string{""}},
		{"amr with a space", "password", []string{"p wd"}},
		{"upper-case amr", "password", []string{"PWD"}},
		{"repeated amr", "mfa", []string{"pwd", "pwd"}},
		{"too many amr values", "mfa", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}},
	} {
		if _, err := sessions.ParseAuthMethod(c.name, c.amr); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%s: ParseAuthMethod(%q, %q) = %v, want invalid", c.why, c.name, c.amr, err)
		}
	}
}

func TestAuthMethod_AMRIsACopyAndValuesCompareEqual(t *testing.T) {
	m, err := sessions.ParseAuthMethod("password", []string{"pwd"})
	if err != nil {
		t.Fatal(err)
	}
	if m != sessions.MethodPassword {
		t.Fatal("a parsed password method equals MethodPassword")
	}
	m.AMR()[0] = "changed"
	if m.AMR()[0] != "pwd" {
		t.Fatal("AMR hands out its own storage")
	}
}

func TestNew_RecordsTheMethodAndTheSignInTime(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	social, err := sessions.ParseAuthMethod("social:github", []string{"ext"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sessions.New(uuid.New(), shared.UserID(uuid.New()), hash(t), social, "", "", t0.Add(time.Nanosecond), p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Method() != social || !s.AuthTime().Equal(t0) || !s.AuthTime().Equal(s.CreatedAt()) {
		t.Fatalf("method %v auth time %s", s.Method(), s.AuthTime())
	}
	if err := s.Touch(t0.Add(time.Minute), p); err != nil || !s.AuthTime().Equal(t0) {
		t.Fatalf("activity moved the sign-in time: %v %s", err, s.AuthTime())
	}
	if _, err := sessions.New(uuid.New(), shared.UserID(uuid.New()), hash(t), sessions.AuthMethod{}, "", "", t0, p); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a session without a method = %v, want invalid", err)
	}
}

func TestRehydrate_ReadsSessionsStoredBeforeMethodsAsPasswordSignInsAtCreation(t *testing.T) {
	at := t0.Add(time.Hour)
	s := sessions.Rehydrate(uuid.New(), shared.UserID(uuid.New()), hash(t), sessions.AuthMethod{}, time.Time{},
		at, at, at.Add(time.Minute), at.Add(time.Hour), "", "", sessions.StatusActive, time.Time{}, "")
	if s.Method() != sessions.MethodPassword || !s.AuthTime().Equal(at) {
		t.Fatalf("method %v auth time %s", s.Method(), s.AuthTime())
	}
	mfa, _ := sessions.ParseAuthMethod("mfa", []string{"pwd", "otp"})
	s = sessions.Rehydrate(uuid.New(), shared.UserID(uuid.New()), hash(t), mfa, at.Add(10*time.Minute),
		at, at, at.Add(time.Minute), at.Add(time.Hour), "", "", sessions.StatusActive, time.Time{}, "")
	if s.Method() != mfa || !s.AuthTime().Equal(at.Add(10*time.Minute)) {
		t.Fatalf("stored method lost: %v %s", s.Method(), s.AuthTime())
	}
}
