package bootstrap

import (
	"strings"
	"testing"
)

func TestContactTeam_ParsesEveryAddressOnceInItsCanonicalForm(t *testing.T) {
	team, err := contactTeam("Sales <Sales@Example.COM>, founder@bücher.example, sales@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(team) != 2 || team[0].String() != "sales@example.com" || team[1].String() != "founder@xn--bcher-kva.example" {
		t.Fatalf("team %v", team)
	}
	for _, bad := range []string{"", "not an address", "team@example..com", "a@example.com, nope"} {
		if _, err := contactTeam(bad); err == nil || !strings.Contains(err.Error(), "CONTACT_EMAIL_TO") {
			t.Fatalf("%q: want an error naming CONTACT_EMAIL_TO, got %v", bad, err)
		}
	}
}

func TestMessageIDDomain_IsTheDomainOfMAIL_FROM(t *testing.T) {
	for from, want := range map[string]string{
		"Authy <no-reply@auth.example.com>": "auth.example.com",
		"no-reply@localhost":                "localhost",
		"not an address":                    "authy.mail",
	} {
		if got := messageIDDomain(from); got != want {
			t.Fatalf("%q: %q, want %q", from, got, want)
		}
	}
}
