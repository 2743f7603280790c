package oauthpg

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

type consentRow struct {
	UserID    uuid.UUID `gorm:"column:user_id;primaryKey"`
	ClientID  string    `gorm:"column:client_id;primaryKey"`
	Scopes    string    `gorm:"column:scopes"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (consentRow) TableName() string { return "oauth_consents" }

// Consents implements oauthport.ConsentRepository.
type Consents struct{ db *pgstore.DB }

var _ oauthport.ConsentRepository = (*Consents)(nil)

// NewConsents returns the consent store on db.
func NewConsents(db *pgstore.DB) *Consents { return &Consents{db: db} }

func (r consentRow) consent() oauthport.Consent {
	return oauthport.Consent{User: shared.UserID(r.UserID), ClientID: r.ClientID, Scopes: split(r.Scopes),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Get implements oauthport.ConsentRepository.
func (s *Consents) Get(ctx context.Context, user shared.UserID, clientID string) (oauthport.Consent, error) {
	var row consentRow
	err := s.db.Conn(ctx).Where("user_id = ? AND client_id = ?", uuid.UUID(user), clientID).Take(&row).Error
	if pgstore.IsNotFound(err) {
		return oauthport.Consent{}, oauthport.ErrConsentNotFound
	}
	if err != nil {
		return oauthport.Consent{}, fmt.Errorf("read consent: %w", err)
	}
	return row.consent(), nil
}

// Grant implements oauthport.ConsentRepository: the pair's row is locked
// (or inserted, a concurrent insert retried as an update), so two grants
// never lose each other's scopes.
func (s *Consents) Grant(ctx context.Context, user shared.UserID, clientID string, scopes []string, at time.Time) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		ins := consentRow{UserID: uuid.UUID(user), ClientID: clientID, Scopes: join(scopes), CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&ins)
		if res.Error != nil {
			if pgstore.IsForeignKeyViolation(res.Error) {
				return fmt.Errorf("grant consent: %w", oauth.ErrClientNotFound)
			}
			return fmt.Errorf("grant consent: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			return nil
		}
		var row consentRow
		q := s.db.Conn(ctx).Where("user_id = ? AND client_id = ?", uuid.UUID(user), clientID)
		if err := s.db.ForUpdate(q).Take(&row).Error; err != nil {
			return fmt.Errorf("lock consent: %w", err)
		}
		have := split(row.Scopes)
		for _, sc := range scopes {
			if !slices.Contains(have, sc) {
				have = append(have, sc)
			}
		}
		err := s.db.Conn(ctx).Model(&consentRow{}).Where("user_id = ? AND client_id = ?", uuid.UUID(user), clientID).
			Updates(map[string]any{"scopes": join(have), "updated_at": at.UTC()}).Error
		if err != nil {
			return fmt.Errorf("update consent: %w", err)
		}
		return nil
	})
}

// List implements oauthport.ConsentRepository.
func (s *Consents) List(ctx context.Context, user shared.UserID) ([]oauthport.Consent, error) {
	var rows []consentRow
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Order("client_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	out := make([]oauthport.Consent, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.consent())
	}
	return out, nil
}

// Delete implements oauthport.ConsentRepository.
func (s *Consents) Delete(ctx context.Context, user shared.UserID, clientID string) (bool, error) {
	res := s.db.Conn(ctx).Where("user_id = ? AND client_id = ?", uuid.UUID(user), clientID).Delete(&consentRow{})
	if res.Error != nil {
		return false, fmt.Errorf("delete consent: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

type parkedRow struct {
	HandleHash    string     `gorm:"column:handle_hash;primaryKey"`
	BindingHash   string     `gorm:"column:binding_hash"`
	ClientID      string     `gorm:"column:client_id"`
	Query         string     `gorm:"column:query"`
	SubjectUserID *uuid.UUID `gorm:"column:subject_user_id"`
	ParkedAt      time.Time  `gorm:"column:parked_at"`
	ExpiresAt     time.Time  `gorm:"column:expires_at"`
}

func (parkedRow) TableName() string { return "oauth_authorize_requests" }

func (r parkedRow) request() oauthport.ParkedRequest {
	p := oauthport.ParkedRequest{HandleHash: r.HandleHash, BindingHash: r.BindingHash, ClientID: r.ClientID,
		Query: r.Query, ParkedAt: r.ParkedAt, ExpiresAt: r.ExpiresAt}
	if r.SubjectUserID != nil {
		p.Subject = shared.UserID(*r.SubjectUserID)
	}
	return p
}

// AuthorizeRequests implements oauthport.AuthorizeRequestStore in the
// database every instance shares.
type AuthorizeRequests struct{ db *pgstore.DB }

var (
	_ oauthport.AuthorizeRequestStore = (*AuthorizeRequests)(nil)
	_ oauthport.GrantRevoker          = (*Tokens)(nil)
)

// NewAuthorizeRequests returns the parked request store on db.
func NewAuthorizeRequests(db *pgstore.DB) *AuthorizeRequests { return &AuthorizeRequests{db: db} }

// Park implements oauthport.AuthorizeRequestStore.
func (s *AuthorizeRequests) Park(ctx context.Context, r oauthport.ParkedRequest) error {
	row := parkedRow{HandleHash: r.HandleHash, BindingHash: r.BindingHash, ClientID: r.ClientID, Query: r.Query,
		ParkedAt: r.ParkedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	if !r.Subject.IsZero() {
		u := uuid.UUID(r.Subject)
		row.SubjectUserID = &u
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("park authorization request: %w", err)
	}
	return nil
}

// Peek implements oauthport.AuthorizeRequestStore.
func (s *AuthorizeRequests) Peek(ctx context.Context, handleHash, bindingHash string, now time.Time) (oauthport.ParkedRequest, error) {
	var row parkedRow
	err := s.db.Conn(ctx).Where("handle_hash = ? AND binding_hash = ? AND expires_at > ?", handleHash, bindingHash, now.UTC()).Take(&row).Error
	if pgstore.IsNotFound(err) {
		return oauthport.ParkedRequest{}, oauthport.ErrParkedRequestNotFound
	}
	if err != nil {
		return oauthport.ParkedRequest{}, fmt.Errorf("read parked authorization request: %w", err)
	}
	return row.request(), nil
}

// Take implements oauthport.AuthorizeRequestStore: one DELETE … RETURNING,
// so a handle is spent by exactly one request.
func (s *AuthorizeRequests) Take(ctx context.Context, handleHash, bindingHash string, now time.Time) (oauthport.ParkedRequest, error) {
	var rows []parkedRow
	err := s.db.Conn(ctx).Clauses(clause.Returning{}).
		Where("handle_hash = ? AND binding_hash = ? AND expires_at > ?", handleHash, bindingHash, now.UTC()).Delete(&rows).Error
	if err != nil {
		return oauthport.ParkedRequest{}, fmt.Errorf("take parked authorization request: %w", err)
	}
	if len(rows) != 1 {
		return oauthport.ParkedRequest{}, oauthport.ErrParkedRequestNotFound
	}
	return rows[0].request(), nil
}

// DeleteExpired implements oauthport.AuthorizeRequestStore.
func (s *AuthorizeRequests) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res := s.db.Conn(ctx).Exec("DELETE FROM oauth_authorize_requests WHERE handle_hash IN "+
		"(SELECT handle_hash FROM oauth_authorize_requests WHERE expires_at < ? LIMIT ?)", before.UTC(), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired authorization requests: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// RevokeSubjectGrants implements oauthport.GrantRevoker: the subject's
// refresh tokens of the client become inactive (kept until they expire, so
// a later use is recognised), its access tokens, codes and their PKCE and
// OpenID Connect rows go.
func (s *Tokens) RevokeSubjectGrants(ctx context.Context, clientID, subject string) error {
	if subject == "" {
		return nil
	}
	defer s.queue(ctx)()
	conn := s.db.Conn(ctx)
	if err := conn.Model(&tokenRow{}).Where("client_id = ? AND subject = ? AND kind = ?", clientID, subject, kindRefresh).
		Update("active", false).Error; err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	if err := conn.Where("client_id = ? AND subject = ? AND kind IN ?", clientID, subject,
		[]string{kindAccess, kindCode, kindPKCE, kindOIDC}).Delete(&tokenRow{}).Error; err != nil {
		return fmt.Errorf("revoke access tokens and codes: %w", err)
	}
	return nil
}
