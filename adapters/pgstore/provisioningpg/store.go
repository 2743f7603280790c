// Package provisioningpg is the GORM adapter of the provisioning context's
// stores (PostgreSQL and SQLite): SCIM tokens and SCIM User resources
// (migration 00022). Uniqueness is the database's (a userName, an
// externalId and an account once per organization); a conflicting change
// is looked up first, in the same transaction, so the error names which
// key collided, and a race the lookup missed still fails on the index.
//
// It imports GORM, pgstore, ports and the domain, never application/.
package provisioningpg

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

// Store holds both stores on one database.
type Store struct{ db *pgstore.DB }

// New returns the store.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Tokens returns the token store.
func (s *Store) Tokens() *TokenStore { return &TokenStore{db: s.db} }

// Users returns the User store.
func (s *Store) Users() *UserStore { return &UserStore{db: s.db} }

// TokenStore implements provisioningport.TokenRepository.
type TokenStore struct{ db *pgstore.DB }

var _ provisioningport.TokenRepository = (*TokenStore)(nil)

type tokenRow struct {
	ID             uuid.UUID  `gorm:"column:id;primaryKey"`
	OrganizationID uuid.UUID  `gorm:"column:organization_id"`
	CreatedBy      uuid.UUID  `gorm:"column:created_by"`
	Name           string     `gorm:"column:name"`
	TokenHash      []byte     `gorm:"column:token_hash"`
	CreatedAt      time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	LastUsedAt     *time.Time `gorm:"column:last_used_at"`
	RevokedAt      *time.Time `gorm:"column:revoked_at"`
}

func (tokenRow) TableName() string { return "scim_tokens" }

func toTokenRow(t *provisioning.Token) tokenRow {
	return tokenRow{
		ID: t.ID(), OrganizationID: uuid.UUID(t.Organization()), CreatedBy: uuid.UUID(t.CreatedBy()), Name: t.Name(),
		TokenHash: t.Hash().Bytes(), CreatedAt: t.CreatedAt().UTC(), LastUsedAt: optTime(t.LastUsedAt()), RevokedAt: optTime(t.RevokedAt()),
	}
}

func (r tokenRow) token() (*provisioning.Token, error) {
	h, err := provisioning.NewTokenHash(r.TokenHash)
	if err != nil {
		return nil, fmt.Errorf("stored SCIM token %s: %w", r.ID, err)
	}
	return provisioning.RehydrateToken(provisioning.TokenState{
		ID: r.ID, Organization: shared.OrganizationID(r.OrganizationID), CreatedBy: shared.UserID(r.CreatedBy), Name: r.Name,
		Hash: h, CreatedAt: r.CreatedAt, LastUsedAt: deref(r.LastUsedAt), RevokedAt: deref(r.RevokedAt),
	}), nil
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Add implements provisioningport.TokenRepository.
func (s *TokenStore) Add(ctx context.Context, t *provisioning.Token) error {
	row := toTokenRow(t)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert SCIM token: %w", err)
	}
	return nil
}

func (s *TokenStore) take(ctx context.Context, lock bool, where string, args ...any) (*provisioning.Token, error) {
	q := s.db.Conn(ctx).Where(where, args...)
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row tokenRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, provisioning.ErrTokenNotFound
		}
		return nil, fmt.Errorf("read SCIM token: %w", err)
	}
	return row.token()
}

// Find implements provisioningport.TokenRepository.
func (s *TokenStore) Find(ctx context.Context, id uuid.UUID) (*provisioning.Token, error) {
	return s.take(ctx, false, "id = ?", id)
}

// FindByHash implements provisioningport.TokenRepository.
func (s *TokenStore) FindByHash(ctx context.Context, h provisioning.TokenHash) (*provisioning.Token, error) {
	return s.take(ctx, false, "token_hash = ?", h.Bytes())
}

// List implements provisioningport.TokenRepository.
func (s *TokenStore) List(ctx context.Context, org shared.OrganizationID) ([]*provisioning.Token, error) {
	var rows []tokenRow
	if err := s.db.Conn(ctx).Where("organization_id = ?", uuid.UUID(org)).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	out := make([]*provisioning.Token, 0, len(rows))
	for _, r := range rows {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// CountLive implements provisioningport.TokenRepository.
func (s *TokenStore) CountLive(ctx context.Context, org shared.OrganizationID) (int, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&tokenRow{}).Where("organization_id = ? AND revoked_at IS NULL", uuid.UUID(org)).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count SCIM tokens: %w", err)
	}
	return int(n), nil
}

// Update implements provisioningport.TokenRepository.
func (s *TokenStore) Update(ctx context.Context, id uuid.UUID, fn func(*provisioning.Token) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		t, err := s.take(ctx, true, "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		row := toTokenRow(t)
		err = s.db.Conn(ctx).Model(&tokenRow{}).Where("id = ?", id).
			Updates(map[string]any{"name": row.Name, "revoked_at": row.RevokedAt, "last_used_at": row.LastUsedAt}).Error
		if err != nil {
			return fmt.Errorf("update SCIM token: %w", err)
		}
		return nil
	})
}

// Touch implements provisioningport.TokenRepository.
func (s *TokenStore) Touch(ctx context.Context, id uuid.UUID, at time.Time) error {
	if err := s.db.Conn(ctx).Model(&tokenRow{}).Where("id = ?", id).Update("last_used_at", at.UTC()).Error; err != nil {
		return fmt.Errorf("touch SCIM token: %w", err)
	}
	return nil
}

// UserStore implements provisioningport.UserRepository.
type UserStore struct{ db *pgstore.DB }

var _ provisioningport.UserRepository = (*UserStore)(nil)

type userRow struct {
	ID             uuid.UUID  `gorm:"column:id;primaryKey"`
	OrganizationID uuid.UUID  `gorm:"column:organization_id"`
	UserID         uuid.UUID  `gorm:"column:user_id"`
	UserName       string     `gorm:"column:user_name"`
	UserNameLower  string     `gorm:"column:user_name_lower"`
	ExternalID     string     `gorm:"column:external_id"`
	GivenName      string     `gorm:"column:given_name"`
	FamilyName     string     `gorm:"column:family_name"`
	FormattedName  string     `gorm:"column:formatted_name"`
	DisplayName    string     `gorm:"column:display_name"`
	Emails         string     `gorm:"column:emails"`
	Active         bool       `gorm:"column:active"`
	AccountCreated bool       `gorm:"column:account_created"`
	InvitationID   *uuid.UUID `gorm:"column:invitation_id"`
	Version        int        `gorm:"column:version"`
	CreatedAt      time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (userRow) TableName() string { return "scim_users" }

type storedEmail struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

func toUserRow(u *provisioning.User) (userRow, error) {
	a := u.Attributes()
	emails := make([]storedEmail, 0, len(a.Emails))
	for _, e := range a.Emails {
		emails = append(emails, storedEmail(e))
	}
	raw, err := json.Marshal(emails)
	if err != nil {
		return userRow{}, fmt.Errorf("encode emails: %w", err)
	}
	var inv *uuid.UUID
	if id := u.Invitation(); id != uuid.Nil {
		inv = &id
	}
	return userRow{
		ID: u.ID(), OrganizationID: uuid.UUID(u.Organization()), UserID: uuid.UUID(u.Account()),
		UserName: a.UserName, UserNameLower: strings.ToLower(a.UserName), ExternalID: a.ExternalID,
		GivenName: a.GivenName, FamilyName: a.FamilyName, FormattedName: a.Formatted, DisplayName: a.DisplayName,
		Emails: string(raw), Active: a.Active, AccountCreated: u.AccountCreated(), InvitationID: inv, Version: u.Version(),
		CreatedAt: u.CreatedAt().UTC(), UpdatedAt: u.UpdatedAt().UTC(),
	}, nil
}

func (r userRow) user() (*provisioning.User, error) {
	var emails []storedEmail
	if err := json.Unmarshal([]byte(r.Emails), &emails); err != nil {
		return nil, fmt.Errorf("stored SCIM user %s: emails: %w", r.ID, err)
	}
	attrs := provisioning.Attributes{
		UserName: r.UserName, ExternalID: r.ExternalID, GivenName: r.GivenName, FamilyName: r.FamilyName,
		Formatted: r.FormattedName, DisplayName: r.DisplayName, Active: r.Active,
	}
	for _, e := range emails {
		attrs.Emails = append(attrs.Emails, provisioning.Email(e))
	}
	var inv uuid.UUID
	if r.InvitationID != nil {
		inv = *r.InvitationID
	}
	return provisioning.RehydrateUser(provisioning.UserState{
		ID: r.ID, Organization: shared.OrganizationID(r.OrganizationID), Account: shared.UserID(r.UserID), Attributes: attrs,
		AccountCreated: r.AccountCreated, Invitation: inv, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}), nil
}

// conflict looks for another User of the organization holding one of
// row's keys and names the first it finds.
func (s *UserStore) conflict(ctx context.Context, row userRow) error {
	q := s.db.Conn(ctx).Model(&userRow{}).Select("user_name_lower", "external_id", "user_id").
		Where("organization_id = ? AND id <> ?", row.OrganizationID, row.ID)
	if row.ExternalID != "" {
		q = q.Where("user_name_lower = ? OR user_id = ? OR external_id = ?", row.UserNameLower, row.UserID, row.ExternalID)
	} else {
		q = q.Where("user_name_lower = ? OR user_id = ?", row.UserNameLower, row.UserID)
	}
	var hits []userRow
	if err := q.Limit(3).Find(&hits).Error; err != nil {
		return fmt.Errorf("look for a conflicting SCIM user: %w", err)
	}
	for _, h := range hits {
		switch {
		case h.UserNameLower == row.UserNameLower:
			return provisioning.ErrUserNameTaken
		case row.ExternalID != "" && h.ExternalID == row.ExternalID:
			return provisioning.ErrExternalIDTaken
		case h.UserID == row.UserID:
			return provisioning.ErrAccountTaken
		}
	}
	return nil
}

func translateUser(err error) error {
	if pgstore.IsDuplicate(err) {
		return provisioning.ErrUserNameTaken.WithCause(err)
	}
	return err
}

// Add implements provisioningport.UserRepository.
func (s *UserStore) Add(ctx context.Context, u *provisioning.User) error {
	row, err := toUserRow(u)
	if err != nil {
		return err
	}
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		if err := s.conflict(ctx, row); err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("insert SCIM user: %w", translateUser(err))
		}
		return nil
	})
}

func (s *UserStore) get(ctx context.Context, org shared.OrganizationID, id uuid.UUID, lock bool) (*provisioning.User, error) {
	q := s.db.Conn(ctx).Where("organization_id = ? AND id = ?", uuid.UUID(org), id)
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row userRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, provisioning.ErrUserNotFound
		}
		return nil, fmt.Errorf("read SCIM user: %w", err)
	}
	return row.user()
}

// Get implements provisioningport.UserRepository.
func (s *UserStore) Get(ctx context.Context, org shared.OrganizationID, id uuid.UUID) (*provisioning.User, error) {
	return s.get(ctx, org, id, false)
}

// Update implements provisioningport.UserRepository.
func (s *UserStore) Update(ctx context.Context, org shared.OrganizationID, id uuid.UUID, fn func(*provisioning.User) error) (*provisioning.User, error) {
	var out *provisioning.User
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		u, err := s.get(ctx, org, id, true)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		row, err := toUserRow(u)
		if err != nil {
			return err
		}
		if err := s.conflict(ctx, row); err != nil {
			return err
		}
		err = s.db.Conn(ctx).Model(&userRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"user_name": row.UserName, "user_name_lower": row.UserNameLower, "external_id": row.ExternalID,
			"given_name": row.GivenName, "family_name": row.FamilyName, "formatted_name": row.FormattedName,
			"display_name": row.DisplayName, "emails": row.Emails, "active": row.Active, "invitation_id": row.InvitationID,
			"version": row.Version, "updated_at": row.UpdatedAt,
		}).Error
		if err != nil {
			return fmt.Errorf("update SCIM user: %w", translateUser(err))
		}
		out = u
		return nil
	})
	return out, err
}

// Delete implements provisioningport.UserRepository.
func (s *UserStore) Delete(ctx context.Context, org shared.OrganizationID, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("organization_id = ? AND id = ?", uuid.UUID(org), id).Delete(&userRow{})
	if res.Error != nil {
		return fmt.Errorf("delete SCIM user: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return provisioning.ErrUserNotFound
	}
	return nil
}

// List implements provisioningport.UserRepository.
func (s *UserStore) List(ctx context.Context, org shared.OrganizationID, f provisioningport.UserFilter) ([]*provisioning.User, int, error) {
	q := s.db.Conn(ctx).Model(&userRow{}).Where("organization_id = ?", uuid.UUID(org))
	if f.UserName != nil {
		q = q.Where("user_name_lower = ?", strings.ToLower(*f.UserName))
	}
	if f.ExternalID != nil {
		q = q.Where("external_id = ?", *f.ExternalID)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count SCIM users: %w", err)
	}
	if f.Limit <= 0 || int64(f.Offset) >= total {
		return nil, int(total), nil
	}
	var rows []userRow
	if err := q.Order("created_at, id").Offset(f.Offset).Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list SCIM users: %w", err)
	}
	out := make([]*provisioning.User, 0, len(rows))
	for _, r := range rows {
		u, err := r.user()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, int(total), nil
}

// DeleteOfAccount implements provisioningport.UserRepository.
func (s *UserStore) DeleteOfAccount(ctx context.Context, account shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(account)).Delete(&userRow{}).Error; err != nil {
		return fmt.Errorf("delete the SCIM users of an account: %w", err)
	}
	return nil
}
