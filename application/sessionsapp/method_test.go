package sessionsapp_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

func TestStart_RecordsTheMethodAndSignInTimeEveryReadShows(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	social, err := sessions.ParseAuthMethod("social:github", []string{"ext"})
	if err != nil {
		t.Fatal(err)
	}
	is, err := f.svc.Start(ctxFrom("198.51.100.7", "ua"), user, social)
	if err != nil {
		t.Fatal(err)
	}
	signedIn := f.clock.Now()
	if is.Session.Method != social || !is.Session.AuthTime.Equal(signedIn) {
		t.Fatalf("issued %v at %s", is.Session.Method, is.Session.AuthTime)
	}
	f.clock.Advance(2 * time.Minute)
	p := f.auth(t, is.Token)
	if p.Method != social || !p.AuthTime.Equal(signedIn) {
		t.Fatalf("cached principal %v at %s", p.Method, p.AuthTime)
	}
	// The cache lost: the store answers with the same method.
	f.cache.inner.Store(sessionsmem.NewCache())
	f.clock.Advance(time.Minute)
	p = f.auth(t, is.Token)
	if p.Method != social || !p.AuthTime.Equal(signedIn) || !slices.Equal(p.Method.AMR(), []string{"ext"}) {
		t.Fatalf("stored principal %v at %s", p.Method, p.AuthTime)
	}
	list, err := f.svc.List(context.Background(), p)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	if list[0].Method != social || !list[0].AuthTime.Equal(signedIn) {
		t.Fatalf("listed %v at %s", list[0].Method, list[0].AuthTime)
	}
}

func TestStart_RefusesASessionWithoutAMethod(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.Start(ctxFrom("198.51.100.7", "ua"), f.newUser(t), sessions.AuthMethod{}); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("Start without a method = %v, want invalid", err)
	}
}

func TestLogout_RecordsTheTransportOfASignOutThroughThePages(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		transport sessionsport.Transport
		want      any
	}{
		{sessionsport.TransportCookie, "cookie"},
		{"", nil},
	} {
		is := f.start(t, f.newUser(t))
		p := f.auth(t, is.Token)
		ctx := context.Background()
		if c.transport != "" {
			ctx = sessionsport.WithTransport(ctx, c.transport)
		}
		if err := f.svc.Logout(ctx, p); err != nil {
			t.Fatal(err)
		}
		last := f.audit.last()
		if last.Action != "auth.logout" || last.Details["transport"] != c.want {
			t.Fatalf("transport %q: recorded %+v", c.transport, last)
		}
	}
}
