package identityapp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

func TestLogin_PerClientLimitCountsAnIPv6Slash64AsOneClient(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginPerIP = platformport.Limit{Max: 10, Window: time.Minute}
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 1000, Window: 15 * time.Minute}
	})
	limited := 0
	for i := 0; i < 40; i++ {
		// Every attempt from a fresh address of one /64, some with zones.
		ip := fmt.Sprintf("2001:db8:7:8:%x::%x", i, i+1)
		if i%3 == 0 {
			ip += fmt.Sprintf("%%eth%d", i)
		}
		_, err := f.svc.Login(ctxFrom(ip), identityport.LoginCommand{Email: fmt.Sprintf("u%d@example.com", i), Password: "whatever1"})
		if shared.KindOf(err) == shared.KindRateLimited {
			limited++
		}
	}
	if limited != 30 {
		t.Fatalf("40 logins from one /64 with a budget of 10: %d refused, want 30", limited)
	}
	if _, err := f.svc.Login(ctxFrom("2001:db8:7:9::1"), identityport.LoginCommand{Email: "x@example.com", Password: "whatever1"}); shared.KindOf(err) == shared.KindRateLimited {
		t.Fatal("the neighbouring /64 is another client with its own budget")
	}
	if _, err := f.svc.Login(ctxFrom("::ffff:192.0.2.44"), identityport.LoginCommand{Email: "x@example.com", Password: "whatever1"}); shared.KindOf(err) == shared.KindRateLimited {
		t.Fatal("an IPv4 client has its own budget")
	}
}

func TestLogin_IPv4MappedAddressSharesTheIPv4ClientsBudget(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginPerIP = platformport.Limit{Max: 2, Window: time.Minute}
	})
	for _, ip := range []string{"192.0.2.50", "::ffff:192.0.2.50"} {
		_, _ = f.svc.Login(ctxFrom(ip), identityport.LoginCommand{Email: "a@example.com", Password: "whatever1"})
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.50"), identityport.LoginCommand{Email: "a@example.com", Password: "whatever1"}); shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("the mapped form is the same client, got %v", err)
	}
}

func TestRegister_PerClientLimitCountsAnIPv6Slash64AsOneClient(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.RegisterPerIP = platformport.Limit{Max: 3, Window: time.Hour}
	})
	limited := 0
	for i := 0; i < 10; i++ {
		ip := fmt.Sprintf("2001:db8:aa:bb:%x:%x::1%%%d", i, i*7, i)
		_, err := f.svc.Register(ctxFrom(ip), identityport.RegisterCommand{Email: uuid.NewString()[:8] + "@example.com", Password: "UserPass123!", Name: "N"})
		if shared.KindOf(err) == shared.KindRateLimited {
			limited++
		} else if err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
	}
	if limited != 7 {
		t.Fatalf("10 registrations from one /64 with a budget of 3: %d refused, want 7", limited)
	}
}
