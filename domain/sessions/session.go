package sessions

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Bounds on what a session keeps about its client.
const (
	MaxIPLength        = 64
	MaxUserAgentLength = 512
)

// Session is a server-side login: a bearer token (kept only as its hash)
// that authenticates one user until it expires or is revoked.
//
// Invariants:
//   - createdAt <= lastSeenAt < expiresAt <= absoluteExpiresAt, and
//     absoluteExpiresAt = createdAt + the policy's absolute limit: activity
//     never moves expiresAt past it;
//   - expiresAt = min(last activity + idle, absoluteExpiresAt);
//   - a session ends once (revoked or expired) and no verb changes it
//     afterwards;
//   - it records how its user authenticated (a non-zero AuthMethod) and
//     when (authTime; a new session's is its createdAt);
//   - times are kept to the microsecond, the precision every store keeps.
type Session struct {
	id                uuid.UUID
	user              shared.UserID
	tokenHash         TokenHash
	method            AuthMethod
	authTime          time.Time
	createdAt         time.Time
	lastSeenAt        time.Time
	expiresAt         time.Time
	absoluteExpiresAt time.Time
	ip                string
	userAgent         string
	status            Status
	endedAt           time.Time
	endReason         string
	events            []Event
}

// New opens a session at now for user, identified by the hash of its bearer
// token, who authenticated with method at now. ip and userAgent describe the
// client (trimmed to their bounds).
func New(id uuid.UUID, user shared.UserID, hash TokenHash, method AuthMethod, ip, userAgent string, now time.Time, p Policy) (*Session, error) {
	if id == uuid.Nil || user.IsZero() || hash.IsZero() {
		return nil, shared.Invalid(CodeInvalid, "a session needs an id, a user and a token hash", nil)
	}
	if method.IsZero() {
		return nil, shared.Invalid(CodeInvalid, "a session needs an authentication method", nil)
	}
	if p.idle <= 0 {
		return nil, shared.Invalid(CodeInvalid, "a session needs a policy", nil)
	}
	now = norm(now)
	abs := now.Add(p.absolute)
	s := &Session{
		id: id, user: user, tokenHash: hash, method: method, authTime: now,
		createdAt: now, lastSeenAt: now,
		expiresAt: p.window(now, abs), absoluteExpiresAt: abs,
		ip: clip(ip, MaxIPLength), userAgent: clip(userAgent, MaxUserAgentLength),
		status: StatusActive,
	}
	s.record(SessionStarted{EventMeta: s.meta(now), ExpiresAt: s.expiresAt})
	return s, nil
}

// Rehydrate rebuilds a stored session (adapters only). endedAt and
// endReason are zero for an active session. A zero method is
// MethodPassword and a zero authTime is createdAt: sessions stored before
// methods were recorded were all password sign-ins.
func Rehydrate(id uuid.UUID, user shared.UserID, hash TokenHash, method AuthMethod, authTime time.Time,
	createdAt, lastSeenAt, expiresAt, absoluteExpiresAt time.Time,
	ip, userAgent string, status Status, endedAt time.Time, endReason string) *Session {
	if status.IsZero() {
		status = StatusActive
	}
	if method.IsZero() {
		method = MethodPassword
	}
	if authTime.IsZero() {
		authTime = createdAt
	}
	return &Session{
		id: id, user: user, tokenHash: hash, method: method, authTime: norm(authTime),
		createdAt: norm(createdAt), lastSeenAt: norm(lastSeenAt), expiresAt: norm(expiresAt),
		absoluteExpiresAt: norm(absoluteExpiresAt), ip: ip, userAgent: userAgent,
		status: status, endedAt: normZero(endedAt), endReason: endReason,
	}
}

// ID identifies the session.
func (s *Session) ID() uuid.UUID { return s.id }

// User is the session's owner.
func (s *Session) User() shared.UserID { return s.user }

// TokenHash is the digest of the session's bearer token.
func (s *Session) TokenHash() TokenHash { return s.tokenHash }

// Method is how the session's user authenticated.
func (s *Session) Method() AuthMethod { return s.method }

// AuthTime is when the session's user authenticated (OpenID Connect's
// auth_time).
func (s *Session) AuthTime() time.Time { return s.authTime }

// CreatedAt is when the session was opened.
func (s *Session) CreatedAt() time.Time { return s.createdAt }

// LastSeenAt is the session's latest activity.
func (s *Session) LastSeenAt() time.Time { return s.lastSeenAt }

// ExpiresAt is when the session ends without further activity.
func (s *Session) ExpiresAt() time.Time { return s.expiresAt }

// AbsoluteExpiresAt is when the session ends whatever happens.
func (s *Session) AbsoluteExpiresAt() time.Time { return s.absoluteExpiresAt }

// IP is the client address at login.
func (s *Session) IP() string { return s.ip }

// UserAgent is the client's user agent at login.
func (s *Session) UserAgent() string { return s.userAgent }

// Status is active, revoked or expired (expired is set by Expire; a session
// may be past its expiry while still stored as active).
func (s *Session) Status() Status { return s.status }

// EndedAt is when the session was revoked or marked expired (zero while
// active).
func (s *Session) EndedAt() time.Time { return s.endedAt }

// EndReason is the revocation reason, or "expired".
func (s *Session) EndReason() string { return s.endReason }

// ActiveAt reports whether the session authenticates at now.
func (s *Session) ActiveAt(now time.Time) bool {
	return s.status == StatusActive && norm(now).Before(s.expiresAt)
}

// Touch records activity at now: the idle window slides to
// min(now + idle, absoluteExpiresAt). An ended or expired session is
// ErrEnded and stays unchanged. Touch records no event (it happens on every
// request); Refresh is the explicit, audited form.
func (s *Session) Touch(now time.Time, p Policy) error {
	now = norm(now)
	if !s.ActiveAt(now) {
		return ErrEnded
	}
	if now.After(s.lastSeenAt) {
		s.lastSeenAt = now
	}
	s.expiresAt = p.window(s.lastSeenAt, s.absoluteExpiresAt)
	return nil
}

// Refresh is Touch asked for by the user; it records SessionRefreshed.
func (s *Session) Refresh(now time.Time, p Policy) error {
	if err := s.Touch(now, p); err != nil {
		return err
	}
	s.record(SessionRefreshed{EventMeta: s.meta(norm(now)), ExpiresAt: s.expiresAt})
	return nil
}

// Revoke ends a session still stored as active at now for reason, on
// behalf of actor; one already revoked or marked expired is ErrEnded. A
// session whose stored expiry has passed but that is not yet marked expired
// is revoked too: its stored expiry may lag the cached one by up to the
// policy's SyncEvery, so revoking it is what keeps a cache from extending it.
func (s *Session) Revoke(now time.Time, reason Reason, actor shared.UserID) error {
	now = norm(now)
	if reason.IsZero() {
		return shared.Invalid(CodeInvalid, "a revocation needs a reason", nil)
	}
	if s.status != StatusActive {
		return ErrEnded
	}
	s.status = StatusRevoked
	s.endedAt = now
	s.endReason = reason.String()
	s.record(SessionRevoked{EventMeta: s.meta(now), Reason: reason, Actor: actor})
	return nil
}

// Expire marks an active session whose expiry passed at least grace before
// now as expired. grace is the policy's SyncEvery, so that a session whose
// stored expiry lags the cached one is never ended early. Otherwise it is
// ErrNotExpired (still live) or ErrEnded (already ended).
func (s *Session) Expire(now time.Time, grace time.Duration) error {
	now = norm(now)
	if s.status != StatusActive {
		return ErrEnded
	}
	if now.Before(s.expiresAt.Add(grace)) {
		return ErrNotExpired
	}
	s.status = StatusExpired
	s.endedAt = now
	s.endReason = StatusExpired.String()
	return nil
}

// PullEvents returns and forgets the recorded events.
func (s *Session) PullEvents() []Event {
	ev := s.events
	s.events = nil
	return ev
}

func (s *Session) record(e Event) { s.events = append(s.events, e) }

func (s *Session) meta(at time.Time) EventMeta {
	return EventMeta{Session: s.id, User: s.user, At: at}
}

func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return norm(t)
}

// clip trims s and cuts it to at most n bytes without splitting a rune.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
