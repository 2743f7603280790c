package identity

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// User is the identity aggregate: one account.
//
// A user has zero or more credentials. The password is the only kind held
// here; the kinds still to come (external identities, TOTP, passkeys) will
// be their own records keyed by the user, so a user without a password is
// valid: such an account signs in by another credential, or sets a
// password through the reset flow (ResetPassword), which proves it owns
// its email.
//
// Invariants: a non-zero id, a valid Email and Name, UpdatedAt never before
// CreatedAt, EmailVerifiedAt zero or not after UpdatedAt. The email is
// verified only for the address it holds now: switching addresses
// (ChangeEmail) happens only once the new one is proven, and leaves it
// verified. A deleted user keeps its id, email and name for the audit trail
// but no password hash, and refuses every further change. Email uniqueness
// among live users is a store invariant (UserRepository), not something one
// aggregate can see.
type User struct {
	id              shared.UserID
	email           Email
	emailVerifiedAt time.Time
	name            Name
	password        PasswordHash
	createdAt       time.Time
	updatedAt       time.Time
	deletedAt       time.Time
	events          []Event
}

// NewUser registers an account at now and records UserRegistered. A zero
// hash opens an account without a password; its email is unverified.
func NewUser(id shared.UserID, email Email, name Name, hash PasswordHash, now time.Time) (*User, error) {
	f := shared.FieldErrors{}
	if id.IsZero() {
		f.Add("id", "is required")
	}
	if email.IsZero() {
		f.Add("email", "is required")
	}
	if name.IsZero() {
		f.Add("name", "is required")
	}
	if now.IsZero() {
		f.Add("created_at", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	now = now.UTC()
	u := &User{id: id, email: email, name: name, password: hash, createdAt: now, updatedAt: now}
	u.events = append(u.events, UserRegistered{eventBase{id, now}})
	return u, nil
}

// UserState is a stored user, for RehydrateUser. A zero PasswordHash means
// the account has no password, a zero EmailVerifiedAt an unverified email,
// a zero DeletedAt a live account.
type UserState struct {
	ID              shared.UserID
	Email           Email
	EmailVerifiedAt time.Time
	Name            Name
	PasswordHash    PasswordHash
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeletedAt       time.Time
}

// RehydrateUser rebuilds a stored user; it is for adapters loading state
// that NewUser and the behaviour methods once validated, and records no
// event.
func RehydrateUser(s UserState) *User {
	return &User{
		id: s.ID, email: s.Email, emailVerifiedAt: utcOrZero(s.EmailVerifiedAt), name: s.Name, password: s.PasswordHash,
		createdAt: s.CreatedAt.UTC(), updatedAt: s.UpdatedAt.UTC(), deletedAt: utcOrZero(s.DeletedAt),
	}
}

// State returns what an adapter stores of the user.
func (u *User) State() UserState {
	return UserState{
		ID: u.id, Email: u.email, EmailVerifiedAt: u.emailVerifiedAt, Name: u.name, PasswordHash: u.password,
		CreatedAt: u.createdAt, UpdatedAt: u.updatedAt, DeletedAt: u.deletedAt,
	}
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// ID returns the user's id.
func (u *User) ID() shared.UserID { return u.id }

// Email returns the account's email.
func (u *User) Email() Email { return u.email }

// Name returns the display name.
func (u *User) Name() Name { return u.name }

// PasswordHash returns the stored hash (zero for an account without a
// password, and once deleted).
func (u *User) PasswordHash() PasswordHash { return u.password }

// HasPassword reports whether the account has a password credential.
func (u *User) HasPassword() bool { return !u.password.IsZero() }

// EmailVerified reports whether the account proved it owns its email.
func (u *User) EmailVerified() bool { return !u.emailVerifiedAt.IsZero() }

// EmailVerifiedAt returns when the current email was proven (zero while
// unverified).
func (u *User) EmailVerifiedAt() time.Time { return u.emailVerifiedAt }

// CreatedAt returns when the account was registered.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt returns when the account last changed.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// DeletedAt returns when the account was deleted (zero while live).
func (u *User) DeletedAt() time.Time { return u.deletedAt }

// Deleted reports whether the account was deleted.
func (u *User) Deleted() bool { return !u.deletedAt.IsZero() }

// ProfileChange is a partial update of the profile: a nil field is left as
// it is. The email is not part of it: an address changes only once the new
// one is proven (ChangeEmail).
type ProfileChange struct {
	Name *Name
}

// UpdateProfile applies change at now and records ProfileUpdated with the
// fields whose value really changed. It returns those fields; none means
// nothing was recorded.
func (u *User) UpdateProfile(change ProfileChange, now time.Time) ([]string, error) {
	if u.Deleted() {
		return nil, ErrUserNotFound
	}
	if change.Name != nil && change.Name.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"name": {"is required"}})
	}
	var fields []string
	if change.Name != nil && change.Name.String() != u.name.String() {
		fields = append(fields, "name")
	}
	if len(fields) == 0 {
		return nil, nil
	}
	u.name = *change.Name
	u.touch(now)
	u.events = append(u.events, ProfileUpdated{eventBase: eventBase{u.id, u.updatedAt}, Fields: fields})
	return fields, nil
}

// VerifyEmail marks the account's email proven at now, by a link mailed to
// sentTo: a link sent to another address than the current one (the email
// changed since) proves nothing and is ErrTokenInvalid. It records
// EmailVerified, unless the email was verified already (then nothing
// changes).
func (u *User) VerifyEmail(sentTo Email, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	if !sentTo.Equal(u.email) {
		return ErrTokenInvalid
	}
	if u.EmailVerified() {
		return nil
	}
	u.touch(now)
	u.emailVerifiedAt = u.updatedAt
	u.events = append(u.events, EmailVerified{eventBase{u.id, u.updatedAt}})
	return nil
}

// ChangeEmail switches the account to to, an address whose owner has just
// confirmed it (by the link mailed there), so it is verified at now; it
// records EmailChanged. Confirming the address the account already has
// only verifies it. The store refuses an address another live account has
// (ErrEmailTaken).
func (u *User) ChangeEmail(to Email, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	if to.IsZero() {
		return shared.Invalid(CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"email": {"is required"}})
	}
	if to.Equal(u.email) {
		return u.VerifyEmail(to, now)
	}
	u.touch(now)
	u.email = to
	u.emailVerifiedAt = u.updatedAt
	u.events = append(u.events, EmailChanged{eventBase{u.id, u.updatedAt}})
	return nil
}

// ChangePassword replaces the password with a new one the user chose, and
// records PasswordChanged. An account without a password has nothing to
// change (ErrNoPassword): it sets one through ResetPassword.
func (u *User) ChangePassword(hash PasswordHash, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	if !u.HasPassword() {
		return ErrNoPassword
	}
	if hash.IsZero() {
		return shared.Invalid(CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"new_password": {"is required"}})
	}
	u.password = hash
	u.touch(now)
	u.events = append(u.events, PasswordChanged{eventBase{u.id, u.updatedAt}})
	return nil
}

// ResetPassword sets the password (whether or not the account had one) by
// a reset link mailed to sentTo, and records PasswordReset. Opening the
// link proves the account owns sentTo, so the email becomes verified; a
// link sent to another address than the current one is ErrTokenInvalid
// (whoever holds the old address must not take the account over).
func (u *User) ResetPassword(hash PasswordHash, sentTo Email, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	if !sentTo.Equal(u.email) {
		return ErrTokenInvalid
	}
	if hash.IsZero() {
		return shared.Invalid(CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"new_password": {"is required"}})
	}
	u.touch(now)
	u.password = hash
	verified := !u.EmailVerified()
	if verified {
		u.emailVerifiedAt = u.updatedAt
	}
	u.events = append(u.events, PasswordReset{eventBase: eventBase{u.id, u.updatedAt}, EmailVerified: verified})
	return nil
}

// UpgradePasswordHash replaces the hash with a stronger one of the same
// password (a legacy bcrypt hash rehashed with argon2id at login). It is
// not a password change and records nothing.
func (u *User) UpgradePasswordHash(hash PasswordHash, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	if !u.HasPassword() {
		return ErrNoPassword
	}
	if hash.IsZero() {
		return shared.Invalid(CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"password": {"is required"}})
	}
	u.password = hash
	u.touch(now)
	return nil
}

// Delete ends the account at now: the password hash is dropped, so the
// email can never log in again, and UserDeleted is recorded. Deleting a
// deleted account is ErrUserNotFound.
func (u *User) Delete(now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
	}
	u.password = PasswordHash{}
	u.touch(now)
	u.deletedAt = u.updatedAt
	u.events = append(u.events, UserDeleted{eventBase{u.id, u.deletedAt}})
	return nil
}

// touch moves updatedAt to now, never backwards.
func (u *User) touch(now time.Time) {
	now = now.UTC()
	if now.Before(u.updatedAt) {
		now = u.updatedAt
	}
	u.updatedAt = now
}

// PullEvents returns the events recorded since the last call and forgets
// them.
func (u *User) PullEvents() []Event {
	ev := u.events
	u.events = nil
	return ev
}
