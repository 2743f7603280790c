package federation

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of what a provider asserts.
const (
	maxSubject      = 255
	maxProfileEmail = 320
	maxProfileName  = 200
)

// Profile is what a provider asserted about its user at one sign-in.
// Email is as the provider gave it (possibly empty); EmailVerified is true
// only when the provider vouches for the address (see the adapters for
// each provider's rule).
type Profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// normalize trims the profile, drops an unusable email or name (too long,
// control characters) and refuses an unusable subject.
func (p Profile) normalize() (Profile, error) {
	p.Subject = strings.TrimSpace(p.Subject)
	if p.Subject == "" || len(p.Subject) > maxSubject || !printable(p.Subject) {
		return Profile{}, shared.Invalid(CodeInvalidInput, "the provider gave an unusable subject",
			map[string][]string{"subject": {"must be 1 to 255 printable characters"}})
	}
	p.Email = strings.TrimSpace(p.Email)
	if len(p.Email) > maxProfileEmail || !printable(p.Email) || !strings.Contains(p.Email, "@") {
		p.Email, p.EmailVerified = "", false
	}
	p.Name = strings.TrimSpace(p.Name)
	if utf8.RuneCountInString(p.Name) > maxProfileName || !printable(p.Name) {
		p.Name = ""
	}
	return p, nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || shared.IsInvisible(r) {
			return false
		}
	}
	return true
}

// ExternalIdentity is an account at a provider (provider, subject) linked
// to one Authy user, with what the provider last asserted about it.
//
// Invariants: a non-zero id and user, a valid provider name, a subject of 1
// to 255 printable characters; EmailVerified only with an Email; UpdatedAt
// and LastSignInAt never before CreatedAt. That a (provider, subject)
// belongs to exactly one user is a store invariant (IdentityRepository).
type ExternalIdentity struct {
	id            uuid.UUID
	user          shared.UserID
	provider      ProviderName
	subject       string
	email         string
	emailVerified bool
	name          string
	createdAt     time.Time
	updatedAt     time.Time
	lastSignInAt  time.Time
}

// LinkIdentity links the provider's account described by p to user at now.
func LinkIdentity(id uuid.UUID, user shared.UserID, provider ProviderName, p Profile, now time.Time) (*ExternalIdentity, error) {
	f := shared.FieldErrors{}
	if id == uuid.Nil {
		f.Add("id", "is required")
	}
	if user.IsZero() {
		f.Add("user_id", "is required")
	}
	if provider.IsZero() {
		f.Add("provider", "is required")
	}
	if now.IsZero() {
		f.Add("created_at", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	now = now.UTC()
	return &ExternalIdentity{
		id: id, user: user, provider: provider, subject: p.Subject, email: p.Email, emailVerified: p.EmailVerified,
		name: p.Name, createdAt: now, updatedAt: now, lastSignInAt: now,
	}, nil
}

// IdentityState is a stored identity, for RehydrateIdentity.
type IdentityState struct {
	ID            uuid.UUID
	UserID        shared.UserID
	Provider      ProviderName
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastSignInAt  time.Time
}

// RehydrateIdentity rebuilds a stored identity (for adapters).
func RehydrateIdentity(s IdentityState) *ExternalIdentity {
	return &ExternalIdentity{
		id: s.ID, user: s.UserID, provider: s.Provider, subject: s.Subject, email: s.Email, emailVerified: s.EmailVerified,
		name: s.Name, createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC(), lastSignInAt: s.LastSignInAt.UTC(),
	}
}

// State returns what an adapter stores.
func (i *ExternalIdentity) State() IdentityState {
	return IdentityState{
		ID: i.id, UserID: i.user, Provider: i.provider, Subject: i.subject, Email: i.email, EmailVerified: i.emailVerified,
		Name: i.name, CreatedAt: i.createdAt, UpdatedAt: i.updatedAt, LastSignInAt: i.lastSignInAt,
	}
}

// ID returns the identity's id.
func (i *ExternalIdentity) ID() uuid.UUID { return i.id }

// UserID returns the user the identity belongs to.
func (i *ExternalIdentity) UserID() shared.UserID { return i.user }

// Provider returns the provider's name.
func (i *ExternalIdentity) Provider() ProviderName { return i.provider }

// Subject returns the provider's identifier of its user.
func (i *ExternalIdentity) Subject() string { return i.subject }

// Email returns the email the provider last asserted ("" when none).
func (i *ExternalIdentity) Email() string { return i.email }

// EmailVerified reports whether the provider vouched for Email.
func (i *ExternalIdentity) EmailVerified() bool { return i.emailVerified }

// Name returns the name the provider last asserted.
func (i *ExternalIdentity) Name() string { return i.name }

// CreatedAt returns when the identity was linked.
func (i *ExternalIdentity) CreatedAt() time.Time { return i.createdAt }

// UpdatedAt returns when the profile last changed.
func (i *ExternalIdentity) UpdatedAt() time.Time { return i.updatedAt }

// LastSignInAt returns when the identity was last used to sign in or link.
func (i *ExternalIdentity) LastSignInAt() time.Time { return i.lastSignInAt }

// SignedIn records a sign-in at now with what the provider asserted this
// time: the email, its verified flag and the name follow the provider. A
// profile for another subject is refused and changes nothing.
func (i *ExternalIdentity) SignedIn(p Profile, now time.Time) error {
	p, err := p.normalize()
	if err != nil {
		return err
	}
	if p.Subject != i.subject {
		return shared.Invalid(CodeInvalidInput, "the profile is another subject's", nil)
	}
	now = now.UTC()
	if now.Before(i.createdAt) {
		now = i.createdAt
	}
	if p.Email != i.email || p.EmailVerified != i.emailVerified || p.Name != i.name {
		i.email, i.emailVerified, i.name = p.Email, p.EmailVerified, p.Name
		i.updatedAt = now
	}
	i.lastSignInAt = now
	return nil
}
