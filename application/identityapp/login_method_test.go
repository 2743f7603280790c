package identityapp_test

import (
	"testing"

	"github.com/secuird/authy/ports/identityport"
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

func TestLogin_RecordsTheTransportOfASignInThroughThePagesAndNoToken(t *testing.T) {
	f := newFixture(t)
	f.register(t, "pages@example.com", "correct horse battery")
	ctx := sessionsport.WithTransport(ctxFrom("192.0.2.30"), sessionsport.TransportCookie)
	res, err := f.svc.Login(ctx, identityport.LoginCommand{Email: "pages@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range f.audit.events {
		if e.Action != "auth.login.succeeded" {
			continue
		}
		found = true
		if e.Details["transport"] != "cookie" {
			t.Fatalf("details %v lack the cookie transport", e.Details)
		}
		for _, v := range e.Details {
			if s, ok := v.(string); ok && s == res.Session.Token {
				t.Fatalf("the token is in the audit details: %v", e.Details)
			}
		}
	}
	if !found {
		t.Fatalf("no sign-in recorded: %v", f.audit.actions())
	}
	f.login(t, "pages@example.com", "correct horse battery")
	last := f.audit.events[len(f.audit.events)-1]
	if _, ok := last.Details["transport"]; ok || last.Action != "auth.login.succeeded" {
		t.Fatalf("a bearer sign-in names a transport: %+v", last)
	}
}
