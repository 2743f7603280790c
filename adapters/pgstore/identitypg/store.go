// Package identitypg is the GORM adapter of identityport's user and token
// repositories, on PostgreSQL and on the embedded SQLite
// file alike (migrations/*/00001_create_users.sql, 00013_account_tokens.sql).
// Every query goes through
// pgstore.DB.Conn(ctx), so the repository joins the unit of work its caller
// opened, together with other contexts' repositories and the audit recorder.
//
// Email uniqueness among live users is enforced by a partial unique index on
// the normalized email; a violation becomes identity.ErrEmailTaken here, so
// no driver error reaches the application. CachedStore decorates the store
// with the profile cache (identityport.ProfileCache): Profile reads through
// it and every change invalidates after its commit. It imports GORM,
// pgstore, ports and the identity domain; never application/ or another
// adapter family.
package identitypg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// userRow is the users table. Timestamps are managed by the domain, never by
// GORM's auto-time hooks.
type userRow struct {
	ID              uuid.UUID  `gorm:"column:id;primaryKey"`
	Email           string     `gorm:"column:email"`
	EmailNormalized string     `gorm:"column:email_normalized"`
	EmailVerifiedAt *time.Time `gorm:"column:email_verified_at"`
	Name            string     `gorm:"column:name"`
	PasswordHash    *string    `gorm:"column:password_hash"` // NULL: no password
	CreatedAt       time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt       time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
	DeletedAt       *time.Time `gorm:"column:deleted_at"`
}

func (userRow) TableName() string { return "users" }

func toRow(u *identity.User) userRow {
	r := userRow{
		ID: uuid.UUID(u.ID()), Email: u.Email().String(), EmailNormalized: u.Email().String(),
		EmailVerifiedAt: timeOrNil(u.EmailVerifiedAt()), Name: u.Name().String(),
		CreatedAt: u.CreatedAt().UTC(), UpdatedAt: u.UpdatedAt().UTC(), DeletedAt: timeOrNil(u.DeletedAt()),
	}
	if u.HasPassword() {
		h := u.PasswordHash().Encoded()
		r.PasswordHash = &h
	}
	return r
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (r userRow) user() (*identity.User, error) {
	// The key column says whose account this is. A row saved under an
	// earlier rule that the current one refuses, or whose key is not the
	// canonical form of its address (the later of two accounts migration
	// 00010 found for one address), keeps its stored key, so it stays
	// readable and saving it changes nothing.
	email, reason := identity.ParseEmail(r.Email)
	if reason != "" || email.String() != r.EmailNormalized {
		if r.EmailNormalized == "" {
			return nil, fmt.Errorf("stored user %s has no email", r.ID)
		}
		email = identity.RehydrateEmail(r.EmailNormalized)
	}
	name, reason := identity.ParseName(r.Name)
	if reason != "" {
		if r.Name == "" {
			return nil, fmt.Errorf("stored user %s has no name", r.ID)
		}
		name = identity.RehydrateName(r.Name)
	}
	var hash identity.PasswordHash
	if r.PasswordHash != nil {
		hash = identity.PasswordHashFromEncoded(*r.PasswordHash)
	}
	return identity.RehydrateUser(identity.UserState{
		ID: shared.UserID(r.ID), Email: email, EmailVerifiedAt: timeOrZero(r.EmailVerifiedAt), Name: name,
		PasswordHash: hash, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DeletedAt: timeOrZero(r.DeletedAt),
	}), nil
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

func sameString(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func (r userRow) same(o userRow) bool {
	return r.ID == o.ID && r.Email == o.Email && r.EmailNormalized == o.EmailNormalized && r.Name == o.Name &&
		sameString(r.PasswordHash, o.PasswordHash) && sameTime(r.EmailVerifiedAt, o.EmailVerifiedAt) &&
		r.CreatedAt.Equal(o.CreatedAt) && r.UpdatedAt.Equal(o.UpdatedAt) && sameTime(r.DeletedAt, o.DeletedAt)
}

// Store is the GORM user repository; Tokens returns its token repository.
// Both join the unit of work (pgstore.DB.Transaction) carried by ctx.
type Store struct {
	db     *pgstore.DB
	tokens *TokenStore
}

var _ identityport.UserRepository = (*Store)(nil)

// New returns a store on db.
func New(db *pgstore.DB) *Store { return &Store{db: db, tokens: &TokenStore{db: db}} }

// Tokens returns the token repository on the same database.
func (s *Store) Tokens() *TokenStore { return s.tokens }

func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case pgstore.IsDuplicate(err):
		return identity.ErrEmailTaken.WithCause(err)
	case pgstore.IsNotFound(err):
		return identity.ErrUserNotFound
	default:
		return err
	}
}

// Add implements identityport.UserRepository.
func (s *Store) Add(ctx context.Context, u *identity.User) error {
	row := toRow(u)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert user: %w", translate(err))
	}
	return nil
}

// Get implements identityport.UserRepository.
func (s *Store) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	var row userRow
	err := s.db.Conn(ctx).Where("id = ? AND deleted_at IS NULL", uuid.UUID(id)).Take(&row).Error
	if err != nil {
		return nil, fmt.Errorf("get user: %w", translate(err))
	}
	return row.user()
}

// Profile implements identityport.UserRepository: the live user's view,
// read from the database (CachedStore answers it from the profile cache).
func (s *Store) Profile(ctx context.Context, id shared.UserID) (identityport.UserView, error) {
	u, err := s.Get(ctx, id)
	if err != nil {
		return identityport.UserView{}, err
	}
	return viewOf(u), nil
}

func viewOf(u *identity.User) identityport.UserView {
	return identityport.UserView{
		ID: u.ID(), Email: u.Email().String(), EmailVerified: u.EmailVerified(), EmailVerifiedAt: u.EmailVerifiedAt(),
		Name: u.Name().String(), CreatedAt: u.CreatedAt(), UpdatedAt: u.UpdatedAt(),
	}
}

// FindByEmail implements identityport.UserRepository.
func (s *Store) FindByEmail(ctx context.Context, email identity.Email) (*identity.User, error) {
	var row userRow
	err := s.db.Conn(ctx).Where("email_normalized = ? AND deleted_at IS NULL", email.String()).Take(&row).Error
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", translate(err))
	}
	return row.user()
}

// getManyChunk keeps IN lists well under every driver's parameter limit.
const getManyChunk = 500

// GetMany implements identityport.UserRepository.
func (s *Store) GetMany(ctx context.Context, ids []shared.UserID) ([]*identity.User, error) {
	seen := make(map[uuid.UUID]bool, len(ids))
	keys := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if k := uuid.UUID(id); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	out := make([]*identity.User, 0, len(keys))
	for start := 0; start < len(keys); start += getManyChunk {
		end := min(start+getManyChunk, len(keys))
		var rows []userRow
		err := s.db.Conn(ctx).Where("id IN ? AND deleted_at IS NULL", keys[start:end]).Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("get users: %w", translate(err))
		}
		for _, r := range rows {
			u, err := r.user()
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// Update implements identityport.UserRepository: it locks the live row
// (FOR UPDATE on PostgreSQL; SQLite's immediate transaction already holds
// the write lock), runs fn, and writes only when something changed.
func (s *Store) Update(ctx context.Context, id shared.UserID, fn func(u *identity.User) error) (*identity.User, error) {
	var out *identity.User
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var before userRow
		q := s.db.ForUpdate(s.db.Conn(ctx).Where("id = ? AND deleted_at IS NULL", uuid.UUID(id)))
		if err := q.Take(&before).Error; err != nil {
			return translate(err)
		}
		u, err := before.user()
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		after := toRow(u)
		if after.ID != before.ID {
			return errors.New("update user: the closure changed the id")
		}
		if !after.same(before) {
			err := s.db.Conn(ctx).Model(&userRow{}).Where("id = ?", after.ID).Updates(map[string]any{
				"email": after.Email, "email_normalized": after.EmailNormalized, "name": after.Name,
				"email_verified_at": after.EmailVerifiedAt, "password_hash": after.PasswordHash,
				"updated_at": after.UpdatedAt, "deleted_at": after.DeletedAt,
			}).Error
			if err != nil {
				return translate(err)
			}
		}
		out = u
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return out, nil
}
