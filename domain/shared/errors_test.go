package shared_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/secuird/authy/domain/shared"
)

var errTaken = shared.Conflict("identity.email_taken", "email is already registered")

func TestError_IsMatchesSentinelThroughWrapsAndCopies(t *testing.T) {
	wrapped := fmt.Errorf("register: %w", errTaken.WithCause(errors.New("unique violation")))
	if !errors.Is(wrapped, errTaken) {
		t.Fatal("a wrapped copy of the sentinel must match it")
	}
	other := shared.Conflict("identity.other", "x")
	if errors.Is(wrapped, other) {
		t.Fatal("a different code must not match")
	}
	if shared.KindOf(wrapped) != shared.KindConflict {
		t.Fatalf("kind = %v", shared.KindOf(wrapped))
	}
	if shared.KindOf(errors.New("plain")) != shared.KindUnknown {
		t.Fatal("a plain error has no kind")
	}
}

func TestError_MessageNeverCarriesCause(t *testing.T) {
	e := errTaken.WithCause(errors.New("pq: duplicate key value violates unique constraint"))
	if e.Message() != "email is already registered" {
		t.Fatalf("message leaked: %q", e.Message())
	}
	if e.Error() == e.Message() {
		t.Fatal("Error() should include the cause for logs")
	}
}

func TestFieldErrors_ErrOnlyWhenSomethingWasAdded(t *testing.T) {
	f := shared.FieldErrors{}
	if f.Err("x.invalid") != nil {
		t.Fatal("empty field errors must be nil")
	}
	f.Add("email", "is required")
	err := f.Err("x.invalid")
	var e *shared.Error
	if !errors.As(err, &e) || e.Kind() != shared.KindInvalid || e.Fields()["email"][0] != "is required" {
		t.Fatalf("unexpected %v", err)
	}
}

func TestRateLimited_CarriesRetryAfter(t *testing.T) {
	e := shared.RateLimited("auth.rate_limited", "slow down", 42*time.Second)
	if e.RetryAfter() != 42*time.Second || e.Kind() != shared.KindRateLimited {
		t.Fatalf("unexpected %v %v", e.RetryAfter(), e.Kind())
	}
}

func TestRefusalReason_NamesTheContextsOwnErrorsWithoutThePrefixAndOthersByTheirWholeCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{shared.BadRequest("sso.state_invalid", "x"), "state_invalid"},
		{fmt.Errorf("complete: %w", shared.Forbidden("sso.email_outside_domains", "x")), "email_outside_domains"},
		{shared.Conflict("identity.email_taken", "x"), "identity.email_taken"},
		{shared.BadRequest("ssox.state_invalid", "x"), "ssox.state_invalid"},
		{shared.BadRequest("sso.", "x"), "sso."},
		{errors.New("driver down"), "internal"},
	} {
		if got := shared.RefusalReason(c.err, "sso"); got != c.want {
			t.Errorf("RefusalReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
