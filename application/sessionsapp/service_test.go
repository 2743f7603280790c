package sessionsapp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/sessionsmem"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/sessionsport"
)

func TestStart_IssuesATokenThatAuthenticatesFromTheCache(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	is := f.start(t, user)
	if len(is.Token) < 43 {
		t.Fatalf("token %q is shorter than 256 bits", is.Token)
	}
	v := is.Session
	if v.UserID != user || !v.Current || v.IP != "198.51.100.7" || v.UserAgent != "test-agent" {
		t.Fatalf("view %+v", v)
	}
	if !v.ExpiresAt.Equal(t0.Add(idle)) || !v.AbsoluteExpiresAt.Equal(t0.Add(absolute)) {
		t.Fatalf("window %s %s", v.ExpiresAt, v.AbsoluteExpiresAt)
	}
	if e, _ := f.cache.inner.Load().Len(); e != 1 {
		t.Fatalf("the cache holds %d entries after start, want 1", e)
	}
	p := f.auth(t, is.Token)
	if p.UserID != user || p.SessionID != v.ID {
		t.Fatalf("principal %+v", p)
	}
	if f.meter.get("sessions:created") != 1 {
		t.Fatal("created not counted")
	}
	if stored := f.stored(t, v.ID); string(stored.TokenHash().Bytes()) == is.Token {
		t.Fatal("the store holds the token itself")
	}
}

func TestAuthenticate_RefusesUnknownEmptyAndOversizedTokens(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "nope", string(make([]byte, 600))} {
		f.refused(t, tok)
	}
}

func TestAuthenticate_SlidesTheIdleWindowAndRefusesAfterIdleTimeout(t *testing.T) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cache trusted=%v", cached), func(t *testing.T) {
			f := newFixture(t)
			is := f.start(t, f.newUser(t))
			if !cached {
				f.cache.down.Store(true)
			}
			for i := 0; i < 5; i++ {
				f.clock.Advance(idle - time.Minute)
				p := f.auth(t, is.Token)
				if !p.ExpiresAt.Equal(f.clock.Now().Add(idle)) {
					t.Fatalf("step %d: expires %s, want now+idle", i, p.ExpiresAt)
				}
			}
			f.clock.Advance(idle)
			f.refused(t, is.Token)
		})
	}
}

func TestAuthenticate_NeverOutlivesTheAbsoluteLimit(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	var last sessionsport.Principal
	for f.clock.Now().Add(10 * time.Minute).Before(t0.Add(absolute)) {
		f.clock.Advance(10 * time.Minute)
		last = f.auth(t, is.Token)
		if last.ExpiresAt.After(t0.Add(absolute)) {
			t.Fatalf("expiry %s past the absolute limit", last.ExpiresAt)
		}
	}
	if !last.ExpiresAt.Equal(t0.Add(absolute)) {
		t.Fatalf("near the cap the expiry is the absolute limit, got %s", last.ExpiresAt)
	}
	f.clock.Advance(10 * time.Minute)
	f.refused(t, is.Token)
}

func TestAuthenticate_WritesTheStoreAtMostOncePerSyncInterval(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	sync := f.policy.SyncEvery()
	f.clock.Advance(sync / 2)
	f.auth(t, is.Token)
	if got := f.stored(t, is.Session.ID).LastSeenAt(); !got.Equal(t0) {
		t.Fatalf("store written before the sync interval: last seen %s", got)
	}
	f.clock.Advance(sync / 2)
	f.auth(t, is.Token)
	now := f.clock.Now()
	s := f.stored(t, is.Session.ID)
	if !s.LastSeenAt().Equal(now) || !s.ExpiresAt().Equal(now.Add(idle)) {
		t.Fatalf("store not synced after the interval: %s %s", s.LastSeenAt(), s.ExpiresAt())
	}
}

func TestAuthenticate_LosingTheCacheCostsAtMostTheSyncInterval(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	sync := f.policy.SyncEvery()
	// Activity just before a sync would be due: only the cache moves.
	f.clock.Advance(sync - time.Second)
	f.auth(t, is.Token)
	lost := f.clock.Now()
	// The cache is lost (a Redis restart): nothing is cached any more.
	_ = lost
	f.swapCache(t)
	f.clock.Advance(idle - sync)
	f.auth(t, is.Token) // still inside lost+idle-sync: the store's expiry covers it
	f2 := newFixture(t)
	is2 := f2.start(t, f2.newUser(t))
	f2.clock.Advance(sync - time.Second)
	f2.auth(t, is2.Token)
	f2.swapCache(t)
	f2.clock.Advance(idle - time.Second + time.Microsecond)
	f2.refused(t, is2.Token) // past the stored expiry, though the lost cache said otherwise
}

// swapCache replaces the cache's contents with nothing, as a restart would.
func (f *fixture) swapCache(t *testing.T) {
	t.Helper()
	e, _ := f.cache.inner.Load().Len()
	if e == 0 {
		t.Fatal("nothing cached to lose")
	}
	f.cache.inner.Store(sessionsmem.NewCache())
}

func TestAuthenticate_RefusesACachedSessionTheStoreHasEnded(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	// Revoked behind the cache's back (as if its purge had not arrived).
	err := f.store.Update(context.Background(), is.Session.ID, func(x *sessions.Session) error {
		return x.Revoke(f.clock.Now(), sessions.ReasonUser, x.User())
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth(t, is.Token) // served from the cache until the next sync
	f.clock.Advance(f.policy.SyncEvery())
	f.refused(t, is.Token)
	f.refused(t, is.Token) // and purged from the cache: refused without the store
	if _, state, _ := f.cache.Get(context.Background(), f.tokens.Hash(is.Token)); state != sessionsport.CacheRevoked {
		t.Fatalf("cache state %v, want revoked", state)
	}
}

func TestRefresh_MovesTheExpiryStoresItAtOnceAndRecordsAnEvent(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	f.clock.Advance(5 * time.Minute)
	p := f.auth(t, is.Token)
	v, err := f.svc.Refresh(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	if !v.ExpiresAt.Equal(now.Add(idle)) || !v.Current {
		t.Fatalf("view %+v", v)
	}
	if s := f.stored(t, p.SessionID); !s.ExpiresAt().Equal(now.Add(idle)) {
		t.Fatalf("stored expiry %s", s.ExpiresAt())
	}
	ev := f.audit.last()
	if ev.Action != "session.refreshed" || ev.TargetID != p.SessionID.String() || ev.ActorID != p.UserID.String() {
		t.Fatalf("event %+v", ev)
	}
}

func TestRefresh_NearTheCapStopsAtTheAbsoluteLimit(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	for f.clock.Now().Add(10 * time.Minute).Before(t0.Add(absolute - 5*time.Minute)) {
		f.clock.Advance(10 * time.Minute)
		f.auth(t, is.Token)
	}
	f.clock.Advance(t0.Add(absolute - 5*time.Minute).Sub(f.clock.Now()))
	p := f.auth(t, is.Token)
	v, err := f.svc.Refresh(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !v.ExpiresAt.Equal(t0.Add(absolute)) {
		t.Fatalf("refresh near the cap: %s, want %s", v.ExpiresAt, t0.Add(absolute))
	}
}

func TestRevoke_EndsAnotherOfTheCallersSessionsAtOnce(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	a, b := f.start(t, user), f.start(t, user)
	p := f.auth(t, a.Token)
	f.auth(t, b.Token)
	if err := f.svc.Revoke(ctxFrom("198.51.100.7", "ua"), p, b.Session.ID); err != nil {
		t.Fatal(err)
	}
	f.refused(t, b.Token)
	f.auth(t, a.Token)
	ev := f.audit.last()
	if ev.Action != "session.revoked" || ev.Details["reason"] != "user" || ev.TargetID != b.Session.ID.String() {
		t.Fatalf("event %+v", ev)
	}
	if f.meter.get("sessions:revoked") != 1 {
		t.Fatal("revocation not counted")
	}
	if ps, _ := f.store.PendingPurges(context.Background(), 10); len(ps) != 0 {
		t.Fatalf("applied purges left in the outbox: %d", len(ps))
	}
	if s := f.stored(t, b.Session.ID); s.Status() != sessions.StatusRevoked {
		t.Fatalf("stored status %s", s.Status())
	}
}

func TestRevoke_AnswersNotFoundForAnotherUsersUnknownOrEndedSession(t *testing.T) {
	f := newFixture(t)
	mine, theirs := f.start(t, f.newUser(t)), f.start(t, f.newUser(t))
	p := f.auth(t, mine.Token)
	other := f.start(t, p.UserID)
	if err := f.svc.Revoke(context.Background(), p, other.Session.ID); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]uuid.UUID{
		"another user's": theirs.Session.ID, "unknown": uuid.New(), "already revoked": other.Session.ID,
	} {
		if err := f.svc.Revoke(context.Background(), p, id); !errors.Is(err, sessions.ErrNotFound) {
			t.Errorf("%s session: %v, want not found", name, err)
		}
	}
	f.auth(t, theirs.Token)
}

func TestLogout_EndsTheCurrentSessionAndRecordsIt(t *testing.T) {
	f := newFixture(t)
	is := f.start(t, f.newUser(t))
	p := f.auth(t, is.Token)
	if err := f.svc.Logout(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	f.refused(t, is.Token)
	if ev := f.audit.last(); ev.Action != "auth.logout" || ev.TargetID != p.SessionID.String() {
		t.Fatalf("event %+v", ev)
	}
	if err := f.svc.Logout(context.Background(), p); !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("second logout = %v", err)
	}
	if _, err := f.svc.Refresh(context.Background(), p); !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("refresh after logout = %v", err)
	}
}

func TestRevokeAllOf_EndsEveryOtherSessionWithTheReason(t *testing.T) {
	for _, c := range []struct {
		reason string
		keep   bool
	}{{"password_changed", true}, {"account_deleted", false}} {
		t.Run(c.reason, func(t *testing.T) {
			f := newFixture(t)
			user := f.newUser(t)
			var issued []sessionsport.IssuedSession
			for i := 0; i < 4; i++ {
				issued = append(issued, f.start(t, user))
			}
			stranger := f.start(t, f.newUser(t))
			keep := uuid.Nil
			if c.keep {
				keep = issued[0].Session.ID
			}
			n, err := f.svc.RevokeAllOf(context.Background(), user, keep, c.reason)
			if err != nil {
				t.Fatal(err)
			}
			want := 4
			if c.keep {
				want = 3
				f.auth(t, issued[0].Token)
			} else {
				f.refused(t, issued[0].Token)
			}
			if n != want {
				t.Fatalf("revoked %d, want %d", n, want)
			}
			for _, is := range issued[1:] {
				f.refused(t, is.Token)
			}
			f.auth(t, stranger.Token)
			acts := f.audit.actions()
			if len(acts) != want || f.audit.last().Details["reason"] != c.reason {
				t.Fatalf("events %v last %+v", acts, f.audit.last())
			}
		})
	}
}

func TestRevokeAllOf_InsideAFailingTransactionChangesNothing(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	is := f.start(t, user)
	boom := errors.New("password change failed later")
	err := f.db.Transaction(context.Background(), func(ctx context.Context) error {
		if n, err := f.svc.RevokeAllOf(ctx, user, uuid.Nil, "password_changed"); err != nil || n != 1 {
			t.Fatalf("revoke all = %d, %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	f.auth(t, is.Token)
	if s := f.stored(t, is.Session.ID); s.Status() != sessions.StatusActive {
		t.Fatal("rolled-back revocation was stored")
	}
	if len(f.audit.actions()) != 0 || f.meter.get("sessions:revoked") != 0 {
		t.Fatal("a rolled-back revocation left audit records or counts")
	}
	if ps, _ := f.store.PendingPurges(context.Background(), 10); len(ps) != 0 {
		t.Fatal("a rolled-back revocation left an outbox row")
	}
}

func TestRevokeAllOf_RefusesAnUnknownReason(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.RevokeAllOf(context.Background(), f.newUser(t), uuid.Nil, "bored"); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("err = %v", err)
	}
}

func TestExpireStale_MarksInBatchesWithOneAuditRecordPerBatchAfterTheGrace(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 7; i++ {
		f.start(t, f.newUser(t))
	}
	f.clock.Advance(idle / 2)
	fresh := f.start(t, f.newUser(t))
	f.clock.Advance(idle / 2) // the others reach their idle expiry now
	if n, err := f.svc.ExpireStale(context.Background(), 5); err != nil || n != 0 {
		t.Fatalf("within the grace: %d, %v", n, err)
	}
	f.clock.Advance(f.policy.SyncEvery())
	n, err := f.svc.ExpireAll(context.Background(), 3)
	if err != nil || n != 7 {
		t.Fatalf("expired %d, %v; want 7", n, err)
	}
	acts := f.audit.actions()
	if !slices.Equal(acts, []string{"sessions.expired", "sessions.expired", "sessions.expired"}) {
		t.Fatalf("audit %v", acts)
	}
	ev := f.audit.last()
	if ev.ActorType != auditport.ActorSystem || ev.Details["count"] != 1 {
		t.Fatalf("last batch %+v", ev)
	}
	if f.meter.get("sessions:expired") != 7 {
		t.Fatal("expiries not counted")
	}
	f.auth(t, fresh.Token)
}

func TestList_ShowsActiveSessionsNewestFirstMarkingTheCurrentOne(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	var ids []uuid.UUID
	for i := 0; i < 5; i++ {
		ids = append(ids, f.start(t, user).Session.ID)
		f.clock.Advance(time.Second)
	}
	current := f.start(t, user)
	f.start(t, f.newUser(t))
	p := f.auth(t, current.Token)
	if err := f.svc.Revoke(context.Background(), p, ids[0]); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.List(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 || list[0].ID != current.Session.ID || !list[0].Current || list[1].Current || list[4].ID != ids[1] {
		t.Fatalf("list %+v", list)
	}
	// Pages of two, following the cursor.
	var got []uuid.UUID
	cursor := ""
	for {
		page, err := f.svc.ListPage(context.Background(), p, sessionsport.ListQuery{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Items {
			got = append(got, v.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(got) != 5 || got[0] != current.Session.ID || got[4] != ids[1] {
		t.Fatalf("paged %v", got)
	}
	if _, err := f.svc.ListPage(context.Background(), p, sessionsport.ListQuery{Cursor: "%%%", Limit: 2}); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("bad cursor = %v", err)
	}
}

func TestList_ShowsTheCachedIdleClockAndHidesExpiredSessions(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	f.start(t, user) // never used again: expires at t0+idle
	other, viewer := f.start(t, user), f.start(t, user)
	f.clock.Advance(10 * time.Minute)
	f.auth(t, other.Token) // synced: the store says t0+25m
	f.auth(t, viewer.Token)
	f.clock.Advance(30 * time.Second)
	cached := f.auth(t, other.Token).ExpiresAt // cache only: t0+25m30s
	f.auth(t, viewer.Token)
	f.clock.Advance(14*time.Minute + 45*time.Second) // t0+25m15s: the store's expiry of other has passed
	p := f.auth(t, viewer.Token)
	if s := f.stored(t, other.Session.ID); s.ExpiresAt().After(f.clock.Now()) {
		t.Fatalf("set-up: stored expiry %s should have passed", s.ExpiresAt())
	}
	list, err := f.svc.List(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != viewer.Session.ID || !list[0].Current || list[1].ID != other.Session.ID {
		t.Fatalf("list %+v", list)
	}
	if !list[1].ExpiresAt.Equal(cached) || !list[0].ExpiresAt.Equal(p.ExpiresAt) {
		t.Fatalf("expiries %s %s, want the cached %s and %s", list[1].ExpiresAt, list[0].ExpiresAt, cached, p.ExpiresAt)
	}
}

func TestRevokeMethodsOf_EndsOnlyTheSessionsOpenedWithThoseMethods(t *testing.T) {
	f := newFixture(t)
	user := f.newUser(t)
	microsoft, err := sessions.ParseAuthMethod("social:microsoft", []string{"fed"})
	if err != nil {
		t.Fatal(err)
	}
	google, _ := sessions.ParseAuthMethod("social:google", []string{"fed"})
	start := func(u shared.UserID, m sessions.AuthMethod) sessionsport.IssuedSession {
		is, err := f.svc.Start(ctxFrom("198.51.100.7", "test-agent"), u, m)
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	viaMicrosoft, kept, viaGoogle, password := start(user, microsoft), start(user, microsoft), start(user, google), f.start(t, user)
	strangers := start(f.newUser(t), microsoft)
	n, err := f.svc.RevokeMethodsOf(context.Background(), user, []string{"social:microsoft"}, kept.Session.ID, "identity_unlinked")
	if err != nil || n != 1 {
		t.Fatalf("revoked %d, %v; want 1", n, err)
	}
	f.refused(t, viaMicrosoft.Token)
	for _, is := range []sessionsport.IssuedSession{kept, viaGoogle, password, strangers} {
		f.auth(t, is.Token)
	}
	if ev := f.audit.last(); ev.Action != "session.revoked" || ev.Details["reason"] != "identity_unlinked" || ev.TargetID != viaMicrosoft.Session.ID.String() {
		t.Fatalf("audit %+v", ev)
	}
	if n, err := f.svc.RevokeMethodsOf(context.Background(), user, nil, uuid.Nil, "identity_unlinked"); err != nil || n != 0 {
		t.Fatalf("no methods ended %d, %v", n, err)
	}
	if _, err := f.svc.RevokeMethodsOf(context.Background(), user, []string{"password"}, uuid.Nil, "bored"); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("unknown reason: %v", err)
	}
	f.auth(t, password.Token)
}
