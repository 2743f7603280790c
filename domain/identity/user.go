package identity

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// User is the identity aggregate: one account.
//
// Invariants: a non-zero id, a valid Email and Name, a non-empty password
// hash while live, UpdatedAt never before CreatedAt. A deleted user keeps
// its id, email and name for the audit trail but no password hash, and
// refuses every further change. Email uniqueness among live users is a
// store invariant (UserRepository), not something one aggregate can see.
type User struct {
	id        shared.UserID
	email     Email
	name      Name
	password  PasswordHash
	createdAt time.Time
	updatedAt time.Time
	deletedAt time.Time
	events    []Event
}

// NewUser registers an account at now and records UserRegistered.
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
	if hash.IsZero() {
		f.Add("password", "is required")
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

// RehydrateUser rebuilds a stored user; it is for adapters loading state
// that NewUser once validated, and records no event. A zero deletedAt means
// the account is live.
func RehydrateUser(id shared.UserID, email Email, name Name, hash PasswordHash, createdAt, updatedAt, deletedAt time.Time) *User {
	return &User{
		id: id, email: email, name: name, password: hash,
		createdAt: createdAt.UTC(), updatedAt: updatedAt.UTC(), deletedAt: utcOrZero(deletedAt),
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

// PasswordHash returns the stored hash (zero once deleted).
func (u *User) PasswordHash() PasswordHash { return u.password }

// CreatedAt returns when the account was registered.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt returns when the account last changed.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// DeletedAt returns when the account was deleted (zero while live).
func (u *User) DeletedAt() time.Time { return u.deletedAt }

// Deleted reports whether the account was deleted.
func (u *User) Deleted() bool { return !u.deletedAt.IsZero() }

// ProfileChange is a partial update of the profile: a nil field is left as
// it is.
type ProfileChange struct {
	Email *Email
	Name  *Name
}

// UpdateProfile applies change at now and records ProfileUpdated with the
// fields whose value really changed (an email is compared in its canonical
// form, so another spelling of the same address is no change). It returns
// those fields; none means nothing was recorded.
func (u *User) UpdateProfile(change ProfileChange, now time.Time) ([]string, error) {
	if u.Deleted() {
		return nil, ErrUserNotFound
	}
	f := shared.FieldErrors{}
	if change.Email != nil && change.Email.IsZero() {
		f.Add("email", "is required")
	}
	if change.Name != nil && change.Name.IsZero() {
		f.Add("name", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	var fields []string
	if change.Email != nil && change.Email.String() != u.email.String() {
		fields = append(fields, "email")
	}
	if change.Name != nil && change.Name.String() != u.name.String() {
		fields = append(fields, "name")
	}
	if len(fields) == 0 {
		return nil, nil
	}
	if change.Email != nil {
		u.email = *change.Email
	}
	if change.Name != nil {
		u.name = *change.Name
	}
	u.touch(now)
	u.events = append(u.events, ProfileUpdated{eventBase: eventBase{u.id, u.updatedAt}, Fields: fields})
	return fields, nil
}

// ChangePassword replaces the hash with one of a new password the user
// chose, and records PasswordChanged.
func (u *User) ChangePassword(hash PasswordHash, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
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

// UpgradePasswordHash replaces the hash with a stronger one of the same
// password (a legacy bcrypt hash rehashed with argon2id at login). It is
// not a password change and records nothing.
func (u *User) UpgradePasswordHash(hash PasswordHash, now time.Time) error {
	if u.Deleted() {
		return ErrUserNotFound
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
