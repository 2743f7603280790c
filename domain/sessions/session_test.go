package sessions_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func policy(t *testing.T, idle, abs time.Duration) sessions.Policy {
	t.Helper()
	p, err := sessions.NewPolicy(idle, abs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hash(t *testing.T) sessions.TokenHash {
	t.Helper()
	h, err := sessions.NewTokenHash([]byte(strings.Repeat("h", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newSession(t *testing.T, p sessions.Policy) *sessions.Session {
	t.Helper()
	s, err := sessions.New(uuid.New(), shared.UserID(uuid.New()), hash(t), sessions.MethodPassword, " 203.0.113.9 ", "agent", t0, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewPolicy_RejectsIdleLongerThanAbsoluteAndNonPositiveLimits(t *testing.T) {
	for _, c := range []struct{ idle, abs time.Duration }{
		{0, time.Hour}, {time.Minute, 0}, {2 * time.Hour, time.Hour}, {-time.Second, time.Hour},
	} {
		if _, err := sessions.NewPolicy(c.idle, c.abs); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("NewPolicy(%s, %s) = %v, want invalid", c.idle, c.abs, err)
		}
	}
}

func TestPolicy_SyncEveryIsATenthOfIdleCappedAtAMinute(t *testing.T) {
	for _, c := range []struct{ idle, want time.Duration }{
		{15 * time.Minute, time.Minute},
		{5 * time.Minute, 30 * time.Second},
		{5 * time.Second, time.Second},
		{500 * time.Millisecond, 500 * time.Millisecond},
	} {
		if got := policy(t, c.idle, 8*time.Hour).SyncEvery(); got != c.want {
			t.Errorf("idle %s: SyncEvery = %s, want %s", c.idle, got, c.want)
		}
	}
	p := policy(t, 15*time.Minute, 8*time.Hour)
	if p.SyncDue(t0, t0.Add(59*time.Second)) || !p.SyncDue(t0, t0.Add(time.Minute)) {
		t.Fatal("a sync is due exactly when SyncEvery has passed")
	}
}

func TestNew_OpensAnActiveSessionWithBothLimits(t *testing.T) {
	s := newSession(t, policy(t, 15*time.Minute, 8*time.Hour))
	if !s.ActiveAt(t0) || s.Status() != sessions.StatusActive {
		t.Fatal("a new session is active")
	}
	if !s.ExpiresAt().Equal(t0.Add(15*time.Minute)) || !s.AbsoluteExpiresAt().Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("expires %s absolute %s", s.ExpiresAt(), s.AbsoluteExpiresAt())
	}
	if s.IP() != "203.0.113.9" || !s.LastSeenAt().Equal(t0) || !s.CreatedAt().Equal(t0) {
		t.Fatalf("unexpected %q %s", s.IP(), s.LastSeenAt())
	}
	ev := s.PullEvents()
	if len(ev) != 1 {
		t.Fatalf("events %v", ev)
	}
	if _, ok := ev[0].(sessions.SessionStarted); !ok {
		t.Fatalf("event %T", ev[0])
	}
	if len(s.PullEvents()) != 0 {
		t.Fatal("PullEvents forgets what it returned")
	}
}

func TestNew_RequiresIDUserAndHashAndClipsClientFields(t *testing.T) {
	p := policy(t, time.Minute, time.Hour)
	if _, err := sessions.New(uuid.Nil, shared.UserID(uuid.New()), hash(t), sessions.MethodPassword, "", "", t0, p); err == nil {
		t.Fatal("nil id accepted")
	}
	if _, err := sessions.New(uuid.New(), shared.UserID{}, hash(t), sessions.MethodPassword, "", "", t0, p); err == nil {
		t.Fatal("zero user accepted")
	}
	if _, err := sessions.New(uuid.New(), shared.UserID(uuid.New()), sessions.TokenHash{}, sessions.MethodPassword, "", "", t0, p); err == nil {
		t.Fatal("zero hash accepted")
	}
	long := strings.Repeat("é", sessions.MaxUserAgentLength)
	s, err := sessions.New(uuid.New(), shared.UserID(uuid.New()), hash(t), sessions.MethodPassword, "", long, t0, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.UserAgent()) > sessions.MaxUserAgentLength || !strings.HasPrefix(long, s.UserAgent()) {
		t.Fatalf("user agent not clipped on a rune boundary: %d bytes", len(s.UserAgent()))
	}
}

func TestTouch_SlidesTheIdleWindowFromTheLatestActivity(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	s := newSession(t, p)
	at := t0.Add(10 * time.Minute)
	if err := s.Touch(at, p); err != nil {
		t.Fatal(err)
	}
	if !s.ExpiresAt().Equal(at.Add(15*time.Minute)) || !s.LastSeenAt().Equal(at) {
		t.Fatalf("expires %s last seen %s", s.ExpiresAt(), s.LastSeenAt())
	}
	if len(s.PullEvents()) != 1 {
		t.Fatal("Touch records no event beyond SessionStarted")
	}
}

func TestTouch_RefusesASessionIdleForLongerThanTheIdleLimit(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	for _, c := range []struct {
		name   string
		after  time.Duration
		active bool
	}{
		{"one microsecond before the idle limit", 15*time.Minute - time.Microsecond, true},
		{"exactly at the idle limit", 15 * time.Minute, false},
		{"well after", time.Hour, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSession(t, p)
			before := s.ExpiresAt()
			err := s.Touch(t0.Add(c.after), p)
			if c.active != (err == nil) {
				t.Fatalf("Touch = %v, want active=%v", err, c.active)
			}
			if err != nil && (!errors.Is(err, sessions.ErrEnded) || !s.ExpiresAt().Equal(before)) {
				t.Fatalf("a refused touch must leave the session unchanged: %v", err)
			}
		})
	}
}

func TestTouch_NeverMovesExpiryPastTheAbsoluteLimit(t *testing.T) {
	p := policy(t, 15*time.Minute, time.Hour)
	s := newSession(t, p)
	for at := t0; at.Before(t0.Add(time.Hour)); at = at.Add(10 * time.Minute) {
		if err := s.Touch(at, p); err != nil {
			t.Fatalf("touch at +%s: %v", at.Sub(t0), err)
		}
		if s.ExpiresAt().After(s.AbsoluteExpiresAt()) {
			t.Fatalf("expiry %s passed the absolute limit %s", s.ExpiresAt(), s.AbsoluteExpiresAt())
		}
	}
	if !s.ExpiresAt().Equal(t0.Add(time.Hour)) {
		t.Fatalf("after activity near the cap, expiry = %s, want the absolute limit", s.ExpiresAt())
	}
	if err := s.Touch(t0.Add(time.Hour), p); !errors.Is(err, sessions.ErrEnded) {
		t.Fatalf("at the absolute limit activity must be refused, got %v", err)
	}
}

func TestTouch_IgnoresAClockThatGoesBackwards(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	s := newSession(t, p)
	if err := s.Touch(t0.Add(5*time.Minute), p); err != nil {
		t.Fatal(err)
	}
	if err := s.Touch(t0.Add(4*time.Minute), p); err != nil {
		t.Fatal(err)
	}
	if !s.LastSeenAt().Equal(t0.Add(5*time.Minute)) || !s.ExpiresAt().Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("an earlier instant moved the window back: %s %s", s.LastSeenAt(), s.ExpiresAt())
	}
}

func TestRefresh_NearTheCapStopsAtTheAbsoluteLimitAndRecordsAnEvent(t *testing.T) {
	p := policy(t, 15*time.Minute, time.Hour)
	s := newSession(t, p)
	s.PullEvents()
	for _, at := range []time.Duration{14 * time.Minute, 28 * time.Minute, 42 * time.Minute, 56 * time.Minute} {
		if err := s.Refresh(t0.Add(at), p); err != nil {
			t.Fatalf("refresh at +%s: %v", at, err)
		}
	}
	if !s.ExpiresAt().Equal(t0.Add(time.Hour)) {
		t.Fatalf("refresh 4 minutes before the cap: expiry %s, want %s", s.ExpiresAt(), t0.Add(time.Hour))
	}
	ev := s.PullEvents()
	if len(ev) != 4 {
		t.Fatalf("events %d", len(ev))
	}
	r, ok := ev[3].(sessions.SessionRefreshed)
	if !ok || !r.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("last event %#v", ev[3])
	}
}

func TestRevoke_EndsOnceAndRecordsTheReason(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	s := newSession(t, p)
	s.PullEvents()
	at := t0.Add(time.Minute)
	if err := s.Revoke(at, sessions.ReasonPasswordChanged, s.User()); err != nil {
		t.Fatal(err)
	}
	if s.Status() != sessions.StatusRevoked || s.ActiveAt(at) || !s.EndedAt().Equal(at) || s.EndReason() != "password_changed" {
		t.Fatalf("status %s ended %s reason %s", s.Status(), s.EndedAt(), s.EndReason())
	}
	ev := s.PullEvents()
	if r, ok := ev[0].(sessions.SessionRevoked); !ok || r.Reason != sessions.ReasonPasswordChanged || r.Actor != s.User() {
		t.Fatalf("event %#v", ev)
	}
	if err := s.Revoke(at, sessions.ReasonUser, s.User()); !errors.Is(err, sessions.ErrEnded) {
		t.Fatalf("second revoke = %v", err)
	}
	if err := s.Touch(at, p); !errors.Is(err, sessions.ErrEnded) {
		t.Fatalf("touch after revoke = %v", err)
	}
	if len(s.PullEvents()) != 0 {
		t.Fatal("refused verbs record nothing")
	}
}

func TestRevoke_EndsASessionPastItsStoredExpiryButRefusesAMissingReason(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	s := newSession(t, p)
	if err := s.Revoke(t0, sessions.Reason{}, s.User()); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("revoke without reason = %v", err)
	}
	if s.Status() != sessions.StatusActive {
		t.Fatal("a refused revoke leaves the session unchanged")
	}
	// The stored expiry may lag a cached one: revoking still ends it.
	if err := s.Revoke(t0.Add(16*time.Minute), sessions.ReasonUser, s.User()); err != nil {
		t.Fatalf("revoke after the stored idle expiry = %v", err)
	}
	if s.Status() != sessions.StatusRevoked {
		t.Fatal("not revoked")
	}
}

func TestExpire_MarksOnlyAfterTheGraceAndOnlyOnce(t *testing.T) {
	p := policy(t, 15*time.Minute, 8*time.Hour)
	grace := p.SyncEvery()
	s := newSession(t, p)
	if err := s.Expire(t0.Add(15*time.Minute), grace); !errors.Is(err, sessions.ErrNotExpired) {
		t.Fatalf("within grace: %v", err)
	}
	at := t0.Add(15*time.Minute + grace)
	if err := s.Expire(at, grace); err != nil {
		t.Fatal(err)
	}
	if s.Status() != sessions.StatusExpired || !s.EndedAt().Equal(at) {
		t.Fatalf("status %s", s.Status())
	}
	if err := s.Expire(at, grace); !errors.Is(err, sessions.ErrEnded) {
		t.Fatalf("second expire = %v", err)
	}
	r := newSession(t, p)
	_ = r.Revoke(t0, sessions.ReasonUser, r.User())
	if err := r.Expire(t0.Add(time.Hour), grace); !errors.Is(err, sessions.ErrEnded) {
		t.Fatalf("expire after revoke = %v", err)
	}
}

func TestRehydrate_KeepsStoredStateToTheMicrosecond(t *testing.T) {
	id, user := uuid.New(), shared.UserID(uuid.New())
	at := t0.Add(123456789 * time.Nanosecond)
	s := sessions.Rehydrate(id, user, hash(t), sessions.AuthMethod{}, time.Time{}, at, at, at.Add(time.Minute), at.Add(time.Hour), "ip", "ua",
		sessions.StatusRevoked, at, "user")
	if s.ID() != id || s.User() != user || s.Status() != sessions.StatusRevoked || s.EndReason() != "user" {
		t.Fatal("fields lost")
	}
	if s.CreatedAt().Nanosecond()%1000 != 0 || !s.CreatedAt().Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("created %s", s.CreatedAt())
	}
	if s.ActiveAt(at) {
		t.Fatal("a revoked session is not active")
	}
}

func TestValues_ParseOnlyKnownNames(t *testing.T) {
	for _, s := range []string{"active", "revoked", "expired"} {
		if st, err := sessions.ParseStatus(s); err != nil || st.String() != s {
			t.Errorf("ParseStatus(%q) = %v, %v", s, st, err)
		}
	}
	if _, err := sessions.ParseStatus("ACTIVE"); err == nil {
		t.Error("statuses are case-sensitive")
	}
	for _, r := range []string{"logout", "user", "password_changed", "account_deleted", "password_reset", "email_changed"} {
		if got, err := sessions.ParseReason(r); err != nil || got.String() != r {
			t.Errorf("ParseReason(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := sessions.ParseReason("whim"); shared.KindOf(err) != shared.KindInvalid {
		t.Error("unknown reason accepted")
	}
	if _, err := sessions.NewTokenHash([]byte("short")); err == nil {
		t.Error("short hash accepted")
	}
	h := hash(t)
	if len(h.String()) != 64 || string(h.Bytes()) != strings.Repeat("h", 32) {
		t.Errorf("hash %s", h)
	}
}
