package oauthapp_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

func TestClientAuthLimits_AHandSetSecretIsGuessedTenTimesPerAddressAndAHundredInAll(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.EnsureClient(ctx, oauthport.SeedClientCommand{Organization: f.org, ClientID: "acme-portal-001",
		Secret: "acme_secret_portal_2024", ClientFields: oauthport.ClientFields{Name: "Acme Portal", GrantTypes: []string{"client_credentials"}}}); err != nil {
		t.Fatal(err)
	}
	seeded, err := f.svc.Client(ctx, "acme-portal-001")
	if err != nil {
		t.Fatal(err)
	}
	fail := func(ip string, n int) {
		t.Helper()
		for range n {
			if err := f.svc.ClientAuthFailed(ctx, seeded, ip); err != nil {
				t.Fatal(err)
			}
		}
	}
	fail("198.51.100.7", 9)
	if err := f.svc.ClientAuthAllowed(ctx, seeded, "198.51.100.7"); err != nil {
		t.Fatalf("refused after 9 failures: %v", err)
	}
	fail("198.51.100.7", 1)
	err = f.svc.ClientAuthAllowed(ctx, seeded, "198.51.100.7")
	if shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("after 10 failures from one address: %v", err)
	}
	var e *shared.Error
	if !errors.As(err, &e) || e.RetryAfter() <= 0 || e.RetryAfter() > 15*time.Minute {
		t.Fatalf("retry after %v", err)
	}
	if err := f.svc.ClientAuthAllowed(ctx, seeded, "198.51.100.8"); err != nil {
		t.Fatalf("another address is refused after one address failed: %v", err)
	}
	// Spread over many addresses, the client's own bound ends the guessing.
	for i := range 10 {
		fail("203.0.113."+strconv.Itoa(i), 9)
	}
	if err := f.svc.ClientAuthAllowed(ctx, seeded, "192.0.2.1"); shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("after 100 failures in all: %v", err)
	}
	f.clock.Advance(16 * time.Minute)
	if err := f.svc.ClientAuthAllowed(ctx, seeded, "198.51.100.7"); err != nil {
		t.Fatalf("still refused after the window: %v", err)
	}

	// A generated secret cannot be guessed: its client is never limited.
	gen := create(t, f, f.owner, serviceFields())
	pc, err := f.svc.Client(ctx, gen.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := f.svc.ClientAuthFailed(ctx, pc, "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.ClientAuthAllowed(ctx, pc, "198.51.100.7"); err != nil {
		t.Fatalf("a generated secret's client was limited: %v", err)
	}
}
