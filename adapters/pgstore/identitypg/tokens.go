package identitypg

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// tokenRow is the user_tokens table (migration 00013).
type tokenRow struct {
	ID        uuid.UUID  `gorm:"column:id;primaryKey"`
	UserID    uuid.UUID  `gorm:"column:user_id"`
	Purpose   string     `gorm:"column:purpose"`
	TokenHash []byte     `gorm:"column:token_hash"`
	Email     string     `gorm:"column:email"`
	SessionID *uuid.UUID `gorm:"column:session_id"`
	CreatedAt time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
}

func (tokenRow) TableName() string { return "user_tokens" }

func toTokenRow(t *identity.Token) tokenRow {
	st := t.State()
	r := tokenRow{
		ID: st.ID, UserID: uuid.UUID(st.User), Purpose: st.Purpose.String(), TokenHash: st.Hash.Bytes(),
		Email: st.Email.String(), CreatedAt: st.CreatedAt.UTC(), ExpiresAt: st.ExpiresAt.UTC(), UsedAt: timeOrNil(st.UsedAt),
	}
	if st.Session != uuid.Nil {
		sid := st.Session
		r.SessionID = &sid
	}
	return r
}

func (r tokenRow) token() (*identity.Token, error) {
	purpose, err := identity.ParseTokenPurpose(r.Purpose)
	if err != nil {
		return nil, fmt.Errorf("stored token %s: %w", r.ID, err)
	}
	h, err := identity.NewTokenHash(r.TokenHash)
	if err != nil {
		return nil, fmt.Errorf("stored token %s: %w", r.ID, err)
	}
	// The address was canonical when the token was issued; a rule that
	// refuses it today must not make the row unreadable.
	email, reason := identity.ParseEmail(r.Email)
	if reason != "" || email.String() != r.Email {
		email = identity.RehydrateEmail(r.Email)
	}
	var session uuid.UUID
	if r.SessionID != nil {
		session = *r.SessionID
	}
	return identity.RehydrateToken(identity.TokenState{
		ID: r.ID, User: shared.UserID(r.UserID), Purpose: purpose, Hash: h, Email: email, Session: session,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, UsedAt: timeOrZero(r.UsedAt),
	}), nil
}

// TokenStore is the GORM token repository. It joins the unit of work of
// the Store it came from (and any other carried by ctx).
type TokenStore struct {
	db *pgstore.DB
}

var _ identityport.TokenRepository = (*TokenStore)(nil)

func translateToken(err error) error {
	switch {
	case err == nil:
		return nil
	case pgstore.IsNotFound(err):
		return identity.ErrTokenInvalid
	default:
		return err
	}
}

// Add implements identityport.TokenRepository. A duplicate hash or id is a
// unique violation, returned as an error of its own (a fresh 256-bit token
// never collides; a caller retrying an insert might).
func (s *TokenStore) Add(ctx context.Context, t *identity.Token) error {
	row := toTokenRow(t)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return fmt.Errorf("insert token: %w", identity.ErrTokenExists.WithCause(err))
		}
		return fmt.Errorf("insert token: %w", err)
	}
	return nil
}

// Find implements identityport.TokenRepository.
func (s *TokenStore) Find(ctx context.Context, h identity.TokenHash) (*identity.Token, error) {
	if h.IsZero() {
		return nil, identity.ErrTokenInvalid
	}
	var row tokenRow
	if err := s.db.Conn(ctx).Where("token_hash = ?", h.Bytes()).Take(&row).Error; err != nil {
		return nil, fmt.Errorf("find token: %w", translateToken(err))
	}
	return row.token()
}

// Use implements identityport.TokenRepository: it locks the row (FOR
// UPDATE on PostgreSQL; SQLite's immediate transaction already holds the
// write lock), runs fn and saves what changed.
func (s *TokenStore) Use(ctx context.Context, h identity.TokenHash, fn func(t *identity.Token) error) (*identity.Token, error) {
	if h.IsZero() {
		return nil, identity.ErrTokenInvalid
	}
	var out *identity.Token
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var before tokenRow
		q := s.db.ForUpdate(s.db.Conn(ctx).Where("token_hash = ?", h.Bytes()))
		if err := q.Take(&before).Error; err != nil {
			return translateToken(err)
		}
		t, err := before.token()
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		after := toTokenRow(t)
		if after.ID != before.ID || string(after.TokenHash) != string(before.TokenHash) {
			return fmt.Errorf("use token: the closure changed the token's identity")
		}
		if !sameTime(after.UsedAt, before.UsedAt) {
			if err := s.db.Conn(ctx).Model(&tokenRow{}).Where("id = ?", after.ID).
				Update("used_at", after.UsedAt).Error; err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("use token: %w", err)
	}
	return out, nil
}

// Retire implements identityport.TokenRepository.
func (s *TokenStore) Retire(ctx context.Context, user shared.UserID, now time.Time, purposes ...identity.TokenPurpose) (int, error) {
	if len(purposes) == 0 {
		return 0, nil
	}
	names := make([]string, len(purposes))
	for i, p := range purposes {
		names[i] = p.String()
	}
	res := s.db.Conn(ctx).Model(&tokenRow{}).
		Where("user_id = ? AND purpose IN ? AND used_at IS NULL", uuid.UUID(user), names).
		Update("used_at", now.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("retire tokens: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}
