package provisioning_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newUser(t *testing.T, a provisioning.Attributes) *provisioning.User {
	t.Helper()
	u, err := provisioning.NewUser(uuid.New(), shared.OrganizationID(uuid.New()), shared.UserID(uuid.New()), a, true, t0)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAttributes_CleanNormalizesTheAddressAndRefusesWhatIsNotAnAttribute(t *testing.T) {
	a, err := provisioning.Attributes{UserName: "  Ada@Example.COM ", GivenName: " Ada ", Emails: []provisioning.Email{{Value: "ADA@example.com", Type: "Work", Primary: true}}}.Clean()
	if err != nil {
		t.Fatal(err)
	}
	if a.UserName != "ada@example.com" || a.GivenName != "Ada" || a.Emails[0].Type != "work" {
		t.Fatalf("cleaned %+v", a)
	}
	for name, bad := range map[string]provisioning.Attributes{
		"not an address":  {UserName: "ada"},
		"control in name": {UserName: "ada@example.com", DisplayName: "Ada\x00"},
		"two primaries":   {UserName: "ada@example.com", Emails: []provisioning.Email{{Value: "a@example.com", Primary: true}, {Value: "b@example.com", Primary: true}}},
		"bad email value": {UserName: "ada@example.com", Emails: []provisioning.Email{{Value: "nope"}}},
	} {
		if _, err := bad.Clean(); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestUser_ReplaceReportsWhatChangedAndKeepsTheAccountsAddress(t *testing.T) {
	u := newUser(t, provisioning.Attributes{UserName: "ada@example.com", Active: true})
	if c, err := u.Replace(provisioning.Attributes{UserName: "ADA@example.com", Active: true}, t0.Add(time.Minute)); err != nil || len(c.Fields) != 0 || u.Version() != 1 {
		t.Fatalf("a replace with the same values changed %v (version %d): %v", c.Fields, u.Version(), err)
	}
	c, err := u.Replace(provisioning.Attributes{UserName: "ada@example.com", DisplayName: "Ada", Active: false}, t0.Add(time.Minute))
	if err != nil || !c.Deactivated || c.Reactivated || u.Version() != 2 || !u.UpdatedAt().Equal(t0.Add(time.Minute)) {
		t.Fatalf("change %+v version %d: %v", c, u.Version(), err)
	}
	if _, err := u.Replace(provisioning.Attributes{UserName: "eve@example.com"}, t0.Add(2*time.Minute)); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a new userName was accepted: %v", err)
	}
	if a := u.Attributes(); a.UserName != "ada@example.com" || a.DisplayName != "Ada" || u.Version() != 2 {
		t.Fatalf("a refused replace changed the User: %+v", a)
	}
}

func TestToken_RevokesOnce(t *testing.T) {
	h, _ := provisioning.NewTokenHash(make([]byte, 32))
	if _, err := provisioning.NewToken(uuid.New(), shared.OrganizationID(uuid.New()), shared.UserID(uuid.New()), " ", h, t0); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a token without a name: %v", err)
	}
	tok, err := provisioning.NewToken(uuid.New(), shared.OrganizationID(uuid.New()), shared.UserID(uuid.New()), "Okta", h, t0)
	if err != nil || tok.Name() != "Okta" || !tok.Live() {
		t.Fatalf("%+v %v", tok, err)
	}
	if err := tok.Revoke(t0); err != nil || tok.Live() {
		t.Fatal(err)
	}
	if err := tok.Revoke(t0); !errors.Is(err, provisioning.ErrTokenRevoked) {
		t.Fatalf("second revocation: %v", err)
	}
}
