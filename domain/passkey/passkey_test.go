package passkey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func registered(count uint32, be bool) passkey.Registered {
	return passkey.Registered{CredentialID: []byte{1, 2, 3}, PublicKey: []byte{4, 5}, SignCount: count, UserVerified: true, BackupEligible: be}
}

func newCred(t *testing.T, count uint32, be bool) *passkey.Credential {
	t.Helper()
	c, err := passkey.NewCredential(uuid.New(), shared.UserID(uuid.New()), registered(count, be), " Laptop ", t0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCredential_UseMovesTheCounterForwardAndRefusesAClone(t *testing.T) {
	c := newCred(t, 4, false)
	if c.Name() != "Laptop" || c.SignCount() != 4 {
		t.Fatalf("new credential %q %d", c.Name(), c.SignCount())
	}
	for _, n := range []uint32{4, 3, 0} {
		if err := c.Use(passkey.Assertion{SignCount: n}, t0.Add(time.Minute)); !errors.Is(err, passkey.ErrCloned) {
			t.Fatalf("counter %d after 4: %v", n, err)
		}
	}
	if c.SignCount() != 4 || !c.LastUsedAt().IsZero() {
		t.Fatalf("a refused use changed the credential: %d %v", c.SignCount(), c.LastUsedAt())
	}
	if err := c.Use(passkey.Assertion{SignCount: 5}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c.SignCount() != 5 || !c.LastUsedAt().Equal(t0.Add(time.Minute)) {
		t.Fatalf("after use: %d %v", c.SignCount(), c.LastUsedAt())
	}
}

func TestCredential_AnAuthenticatorWithoutACounterAlwaysReportsZero(t *testing.T) {
	c := newCred(t, 0, true)
	for i := 0; i < 3; i++ {
		if err := c.Use(passkey.Assertion{SignCount: 0, BackupEligible: true, BackupState: i%2 == 0}, t0); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	if !c.BackupState() {
		t.Fatal("backup state not kept from the last use")
	}
}

func TestCredential_BackupEligibilityNeverChanges(t *testing.T) {
	c := newCred(t, 0, false)
	for _, a := range []passkey.Assertion{{BackupEligible: true}, {BackupState: true}} {
		if err := c.Use(a, t0); !errors.Is(err, passkey.ErrFlagsChanged) {
			t.Fatalf("%+v: %v", a, err)
		}
	}
	if _, err := passkey.NewCredential(uuid.New(), shared.UserID(uuid.New()), passkey.Registered{CredentialID: []byte{1}, PublicKey: []byte{1}, BackupState: true}, "x", t0); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("backup without eligibility registered: %v", err)
	}
}

func TestCheckName_TrimsAndRefusesEmptyLongAndInvisibleNames(t *testing.T) {
	for _, bad := range []string{"", "   ", strings.Repeat("é", 65), "a\u200bb", "tab\there", "bell\a"} {
		if _, err := passkey.CheckName(bad); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if n, err := passkey.CheckName("  Clé de Zoë  "); err != nil || n != "Clé de Zoë" {
		t.Fatalf("%q %v", n, err)
	}
	c := newCred(t, 0, false)
	if err := c.Rename(""); err == nil || c.Name() != "Laptop" {
		t.Fatalf("blank rename: %v, name %q", err, c.Name())
	}
}

func TestCeremony_AdmitsOnlyItsPurposeUserAndClientBeforeItExpires(t *testing.T) {
	user := shared.UserID(uuid.New())
	c, err := passkey.NewCeremony(uuid.New(), passkey.TokenHash{1}, passkey.PurposeRegistration, user, "10.0.0.1", []byte("{}"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt().Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("expires %v", c.ExpiresAt())
	}
	if err := c.Admit(passkey.PurposeRegistration, user, "10.0.0.1", t0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for why, err := range map[string]error{
		"another purpose": c.Admit(passkey.PurposeLogin, user, "10.0.0.1", t0),
		"another user":    c.Admit(passkey.PurposeRegistration, shared.UserID(uuid.New()), "10.0.0.1", t0),
		"another client":  c.Admit(passkey.PurposeRegistration, user, "10.0.0.2", t0),
		"expired":         c.Admit(passkey.PurposeRegistration, user, "10.0.0.1", t0.Add(5*time.Minute)),
	} {
		if !errors.Is(err, passkey.ErrCeremonyInvalid) {
			t.Errorf("%s: %v", why, err)
		}
	}
	if _, err := passkey.NewCeremony(uuid.New(), passkey.TokenHash{1}, passkey.PurposeLogin, user, "", []byte("{}"), t0); err == nil {
		t.Fatal("a sign-in ceremony named a user")
	}
	if _, err := passkey.NewCeremony(uuid.New(), passkey.TokenHash{1}, passkey.PurposeRegistration, shared.UserID{}, "", []byte("{}"), t0); err == nil {
		t.Fatal("a registration ceremony without its user")
	}
}
