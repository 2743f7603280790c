package sso

import (
	"crypto/subtle"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// FlowLifetime is how long a sign-in started at a connection may take at
// the identity provider.
const FlowLifetime = 10 * time.Minute

// FlowSpec is what a started sign-in holds. StateHash and BindingHash are
// SHA-256 hex digests (the state travels through the identity provider,
// the binding sits in the browser's cookie; neither is kept in the clear);
// Nonce and Verifier are the OpenID Connect nonce and the PKCE code
// verifier, needed again at the callback. A SAML flow's Nonce is its
// AuthnRequest's id (the response must answer it) and it has no Verifier.
type FlowSpec struct {
	StateHash   string
	BindingHash string
	Connection  uuid.UUID
	Nonce       string
	Verifier    string
	ReturnTo    string
	Delivery    shared.Delivery
}

// Flow is a sign-in started at a connection and not yet completed.
//
// Invariants: 64-character state and binding hashes, a connection, a nonce
// (or a SAML request id), a delivery; it expires FlowLifetime after it started.
// Spending it (one callback) is the store's Take; Check is the rest.
type Flow struct {
	spec      FlowSpec
	createdAt time.Time
	expiresAt time.Time
}

// StartFlow checks spec and returns a flow started at now.
func StartFlow(spec FlowSpec, now time.Time) (*Flow, error) {
	if len(spec.StateHash) != 64 || len(spec.BindingHash) != 64 || spec.Connection == uuid.Nil ||
		spec.Nonce == "" || spec.Delivery.IsZero() || now.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "a sign-in flow needs its hashes, connection, nonce (or request id) and delivery", nil)
	}
	now = now.UTC()
	return &Flow{spec: spec, createdAt: now, expiresAt: now.Add(FlowLifetime)}, nil
}

// RehydrateFlow rebuilds a stored flow (for adapters).
func RehydrateFlow(spec FlowSpec, createdAt, expiresAt time.Time) *Flow {
	return &Flow{spec: spec, createdAt: createdAt.UTC(), expiresAt: expiresAt.UTC()}
}

// Spec returns what the flow holds.
func (f *Flow) Spec() FlowSpec { return f.spec }

// CreatedAt is when the flow started.
func (f *Flow) CreatedAt() time.Time { return f.createdAt }

// ExpiresAt is when the flow stops being usable.
func (f *Flow) ExpiresAt() time.Time { return f.expiresAt }

// Check accepts a callback for connection from the browser whose binding
// hashes to bindingHash at now: another connection's flow is
// ErrStateInvalid, a late one ErrStateExpired, another browser's
// ErrBrowserMismatch.
func (f *Flow) Check(connection uuid.UUID, bindingHash string, now time.Time) error {
	switch {
	case f.spec.Connection != connection:
		return ErrStateInvalid
	case !now.Before(f.expiresAt):
		return ErrStateExpired
	case subtle.ConstantTimeCompare([]byte(bindingHash), []byte(f.spec.BindingHash)) != 1:
		return ErrBrowserMismatch
	}
	return nil
}

// Bounds of what an identity provider asserts.
const (
	MaxSubject      = 255
	MaxAssertedName = 200
)

// Identity is a person at a connection's identity provider (its subject)
// linked to an account.
//
// Invariants: an id, a connection, a user, a subject of 1 to MaxSubject
// bytes; email and name are what the provider last asserted (the name cut
// to MaxAssertedName characters).
type Identity struct {
	id           uuid.UUID
	connection   uuid.UUID
	user         shared.UserID
	subject      string
	email        string
	name         string
	createdAt    time.Time
	lastSignInAt time.Time
}

// IdentityState is an Identity's stored state (for adapters).
type IdentityState struct {
	ID           uuid.UUID
	Connection   uuid.UUID
	User         shared.UserID
	Subject      string
	Email        string
	Name         string
	CreatedAt    time.Time
	LastSignInAt time.Time
}

// LinkIdentity links the provider's subject to user at now.
func LinkIdentity(id, connection uuid.UUID, user shared.UserID, subject, email, name string, now time.Time) (*Identity, error) {
	if id == uuid.Nil || connection == uuid.Nil || user.IsZero() || now.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "an identity needs an id, a connection, a user and a time", nil)
	}
	if subject == "" || len(subject) > MaxSubject {
		return nil, ErrTokenInvalid
	}
	now = now.UTC()
	return &Identity{id: id, connection: connection, user: user, subject: subject, email: email, name: boundName(name),
		createdAt: now, lastSignInAt: now}, nil
}

// RehydrateIdentity rebuilds a stored identity (for adapters).
func RehydrateIdentity(s IdentityState) *Identity {
	return &Identity{id: s.ID, connection: s.Connection, user: s.User, subject: s.Subject, email: s.Email, name: s.Name,
		createdAt: s.CreatedAt.UTC(), lastSignInAt: s.LastSignInAt.UTC()}
}

// SignedIn records a later sign-in with what the provider asserted then.
func (i *Identity) SignedIn(email, name string, now time.Time) {
	i.email, i.name = email, boundName(name)
	if now.After(i.lastSignInAt) {
		i.lastSignInAt = now.UTC()
	}
}

func boundName(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return ""
	}
	if utf8.RuneCountInString(s) > MaxAssertedName {
		s = string([]rune(s)[:MaxAssertedName])
	}
	return s
}

// State returns the identity's state (for adapters).
func (i *Identity) State() IdentityState {
	return IdentityState{ID: i.id, Connection: i.connection, User: i.user, Subject: i.subject, Email: i.email, Name: i.name,
		CreatedAt: i.createdAt, LastSignInAt: i.lastSignInAt}
}

// ID returns the identity's id.
func (i *Identity) ID() uuid.UUID { return i.id }

// User returns the account it is linked to.
func (i *Identity) User() shared.UserID { return i.user }

// Subject returns the provider's subject.
func (i *Identity) Subject() string { return i.subject }
