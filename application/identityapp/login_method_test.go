package identityapp_test

import (
	"testing"

	"github.com/secuird/authy/ports/sessionsport"
)

func TestLogin_StartsASessionRecordedAsAPasswordSignIn(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "method@example.com", "correct horse battery")
	f.login(t, "method@example.com", "correct horse battery")
	if len(f.sessions.starts) != 1 {
		t.Fatalf("starts %v", f.sessions.starts)
	}
	got := f.sessions.starts[0]
	if got.User != u.ID || got.Method != sessionsport.MethodPassword {
		t.Fatalf("login started %+v, want a password session of %s", got, u.ID)
	}
}
