package oauth

import (
	"slices"
	"time"
)

// KeyKind is what a provider key is for. Each kind rotates on its own.
type KeyKind struct{ name string }

// The key kinds.
var (
	// KeyRS256 and KeyES256 sign ID tokens and JWT access tokens; their
	// public halves are published in the JWKS.
	KeyRS256 = KeyKind{"RS256"}
	KeyES256 = KeyKind{"ES256"}
	// KeyTokenHMAC keys the HMAC of opaque tokens (authorization codes,
	// access and refresh tokens).
	KeyTokenHMAC = KeyKind{"token-hmac"}
	// KeySecretHMAC keys the SHA-256 of the client secrets the server
	// generates. It never rotates by itself: every stored hash names its
	// key, which therefore stays for as long as a client uses it.
	KeySecretHMAC = KeyKind{"secret-hmac"}
)

// KeyKinds lists every kind, the signing kinds first.
func KeyKinds() []KeyKind { return []KeyKind{KeyRS256, KeyES256, KeyTokenHMAC, KeySecretHMAC} }

// ParseKeyKind reads a stored kind.
func ParseKeyKind(s string) (KeyKind, bool) {
	for _, k := range KeyKinds() {
		if k.name == s {
			return k, true
		}
	}
	return KeyKind{}, false
}

// String is the kind's name (the JWS "alg" of signing kinds).
func (k KeyKind) String() string { return k.name }

// Signing reports a kind whose public key is published.
func (k KeyKind) Signing() bool { return k == KeyRS256 || k == KeyES256 }

// Key is one provider key: which kind, its generation (1, 2, … per kind,
// unique, which is what stops two instances from creating the same key),
// when it was made and when it begins to sign. The key material is the
// adapters'; the domain only decides its lifecycle.
type Key struct {
	id          string
	kind        KeyKind
	generation  int
	createdAt   time.Time
	activatesAt time.Time
}

// NewKey describes a key of generation gen that signs from activatesAt.
func NewKey(id string, kind KeyKind, gen int, createdAt, activatesAt time.Time) Key {
	return Key{id: id, kind: kind, generation: gen, createdAt: createdAt, activatesAt: activatesAt}
}

// ID is the key id (the JWS "kid").
func (k Key) ID() string { return k.id }

// Kind is what the key is for.
func (k Key) Kind() KeyKind { return k.kind }

// Generation orders the keys of one kind.
func (k Key) Generation() int { return k.generation }

// CreatedAt is when the key was made (and published).
func (k Key) CreatedAt() time.Time { return k.createdAt }

// ActivatesAt is when it begins to sign; until then it is only published.
func (k Key) ActivatesAt() time.Time { return k.activatesAt }

// KeyPolicy says how keys of one kind live:
//   - RotateEvery: the age after which the current key is succeeded (zero:
//     never by itself);
//   - PublishLead: how long a successor is published before it signs, so
//     every instance and every relying party's cached key set knows it
//     first;
//   - VerifyFor: how long a key keeps verifying after its successor took
//     over: the longest lifetime of what it signed.
type KeyPolicy struct {
	RotateEvery time.Duration
	PublishLead time.Duration
	VerifyFor   time.Duration
}

// KeySchedule is the keys of one kind at one moment.
type KeySchedule struct {
	keys   []Key // by generation
	policy KeyPolicy
	now    time.Time
}

// ScheduleKeys orders keys (all of one kind) under policy at now.
func ScheduleKeys(keys []Key, policy KeyPolicy, now time.Time) KeySchedule {
	ks := append([]Key(nil), keys...)
	slices.SortFunc(ks, func(a, b Key) int { return a.generation - b.generation })
	return KeySchedule{keys: ks, policy: policy, now: now}
}

// Current is the key that signs now: the newest one already active.
func (s KeySchedule) Current() (Key, bool) {
	for i := len(s.keys) - 1; i >= 0; i-- {
		if !s.keys[i].activatesAt.After(s.now) {
			return s.keys[i], true
		}
	}
	return Key{}, false
}

// Pending is a published successor that does not sign yet.
func (s KeySchedule) Pending() (Key, bool) {
	if n := len(s.keys); n > 0 && s.keys[n-1].activatesAt.After(s.now) {
		return s.keys[n-1], true
	}
	return Key{}, false
}

// retiredAt is when key i stopped signing (its successor's activation), or
// zero while it has none active.
func (s KeySchedule) retiredAt(i int) time.Time {
	if i+1 < len(s.keys) && !s.keys[i+1].activatesAt.After(s.now) {
		return s.keys[i+1].activatesAt
	}
	return time.Time{}
}

// Verifying lists the keys that verify now, newest first: the pending one,
// the current one and every retired key whose VerifyFor has not run out.
// These are the keys the JWKS publishes.
func (s KeySchedule) Verifying() []Key {
	var out []Key
	for i := len(s.keys) - 1; i >= 0; i-- {
		if r := s.retiredAt(i); !r.IsZero() && !s.now.Before(r.Add(s.policy.VerifyFor)) {
			continue
		}
		out = append(out, s.keys[i])
	}
	return out
}

// Expired lists the keys that verify nothing any more and may be deleted.
func (s KeySchedule) Expired() []Key {
	var out []Key
	for i := range s.keys {
		if r := s.retiredAt(i); !r.IsZero() && !s.now.Before(r.Add(s.policy.VerifyFor)) {
			out = append(out, s.keys[i])
		}
	}
	return out
}

// NextGeneration is the generation a new key of this kind takes.
func (s KeySchedule) NextGeneration() int {
	if len(s.keys) == 0 {
		return 1
	}
	return s.keys[len(s.keys)-1].generation + 1
}

// Due reports whether a key must be created now, and when it would begin to
// sign: the first key at once (nothing was signed before it); a successor
// when the current key is RotateEvery old (or force, an operator's
// rotation), PublishLead from now. A pending successor already covers it.
func (s KeySchedule) Due(force bool) (activatesAt time.Time, due bool) {
	if _, pending := s.Pending(); pending {
		return time.Time{}, false
	}
	cur, ok := s.Current()
	if !ok {
		return s.now, true
	}
	if force || (s.policy.RotateEvery > 0 && !s.now.Before(cur.activatesAt.Add(s.policy.RotateEvery))) {
		return s.now.Add(s.policy.PublishLead), true
	}
	return time.Time{}, false
}
