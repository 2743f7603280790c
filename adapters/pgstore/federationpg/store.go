// Package federationpg is the GORM adapter of the federation context's
// stores (PostgreSQL and SQLite): linked external identities, started
// flows and login codes (migrations 00018 and 00025). Flows and codes are rows, so
// every instance on the database shares them; taking one is a DELETE …
// RETURNING, which makes it single use without a lock.
//
// It imports GORM, pgstore, ports and the domain, never application/.
package federationpg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
)

// Store holds every federation store on one database. Every method joins
// the unit of work (the database transaction) carried by ctx.
type Store struct{ db *pgstore.DB }

// New returns the store.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

var _ federationport.IdentityRepository = (*Store)(nil)

// Flows returns the flow store.
func (s *Store) Flows() *FlowStore { return &FlowStore{db: s.db} }

// LoginCodes returns the login code store.
func (s *Store) LoginCodes() *LoginCodeStore { return &LoginCodeStore{db: s.db} }

type identityRow struct {
	ID            uuid.UUID `gorm:"column:id;primaryKey"`
	UserID        uuid.UUID `gorm:"column:user_id"`
	Provider      string    `gorm:"column:provider"`
	Subject       string    `gorm:"column:subject"`
	Email         string    `gorm:"column:email"`
	EmailVerified bool      `gorm:"column:email_verified"`
	Name          string    `gorm:"column:name"`
	CreatedAt     time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt     time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
	LastSignInAt  time.Time `gorm:"column:last_sign_in_at"`
}

func (identityRow) TableName() string { return "external_identities" }

func toIdentityRow(i *federation.ExternalIdentity) identityRow {
	st := i.State()
	return identityRow{
		ID: st.ID, UserID: uuid.UUID(st.UserID), Provider: st.Provider.String(), Subject: st.Subject, Email: st.Email,
		EmailVerified: st.EmailVerified, Name: st.Name, CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC(),
		LastSignInAt: st.LastSignInAt.UTC(),
	}
}

func (r identityRow) identity() (*federation.ExternalIdentity, error) {
	p, err := federation.ParseProviderName(r.Provider)
	if err != nil {
		return nil, fmt.Errorf("stored identity %s: %w", r.ID, err)
	}
	return federation.RehydrateIdentity(federation.IdentityState{
		ID: r.ID, UserID: shared.UserID(r.UserID), Provider: p, Subject: r.Subject, Email: r.Email,
		EmailVerified: r.EmailVerified, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastSignInAt: r.LastSignInAt,
	}), nil
}

func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case pgstore.IsNotFound(err):
		return federation.ErrIdentityNotFound
	case pgstore.IsDuplicate(err):
		return federation.ErrIdentityTaken.WithCause(err)
	default:
		return err
	}
}

// Add implements federationport.IdentityRepository.
func (s *Store) Add(ctx context.Context, i *federation.ExternalIdentity) error {
	row := toIdentityRow(i)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert identity: %w", translate(err))
	}
	return nil
}

// Get implements federationport.IdentityRepository.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (*federation.ExternalIdentity, error) {
	var row identityRow
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, fmt.Errorf("get identity: %w", translate(err))
	}
	return row.identity()
}

// FindBySubject implements federationport.IdentityRepository.
func (s *Store) FindBySubject(ctx context.Context, provider federation.ProviderName, subject string) (*federation.ExternalIdentity, error) {
	var row identityRow
	err := s.db.Conn(ctx).Where("provider = ? AND subject = ?", provider.String(), subject).Take(&row).Error
	if err != nil {
		return nil, fmt.Errorf("find identity: %w", translate(err))
	}
	return row.identity()
}

// ListByUser implements federationport.IdentityRepository.
func (s *Store) ListByUser(ctx context.Context, user shared.UserID, lock bool) ([]*federation.ExternalIdentity, error) {
	q := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Order("created_at, id")
	if lock {
		q = s.db.ForUpdate(q)
	}
	var rows []identityRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	out := make([]*federation.ExternalIdentity, 0, len(rows))
	for _, r := range rows {
		i, err := r.identity()
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

// Update implements federationport.IdentityRepository.
func (s *Store) Update(ctx context.Context, id uuid.UUID, fn func(*federation.ExternalIdentity) error) (*federation.ExternalIdentity, error) {
	var out *federation.ExternalIdentity
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var before identityRow
		if err := s.db.ForUpdate(s.db.Conn(ctx).Where("id = ?", id)).Take(&before).Error; err != nil {
			return translate(err)
		}
		i, err := before.identity()
		if err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
		after := toIdentityRow(i)
		if after.ID != before.ID || after.UserID != before.UserID || after.Provider != before.Provider || after.Subject != before.Subject {
			return fmt.Errorf("update identity: the closure changed the identity's key")
		}
		if err := s.db.Conn(ctx).Model(&identityRow{}).Where("id = ?", id).Updates(map[string]any{
			"email": after.Email, "email_verified": after.EmailVerified, "name": after.Name,
			"updated_at": after.UpdatedAt, "last_sign_in_at": after.LastSignInAt,
		}).Error; err != nil {
			return err
		}
		out = i
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update identity: %w", err)
	}
	return out, nil
}

// Delete implements federationport.IdentityRepository.
func (s *Store) Delete(ctx context.Context, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("id = ?", id).Delete(&identityRow{})
	if res.Error != nil {
		return fmt.Errorf("delete identity: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return federation.ErrIdentityNotFound
	}
	return nil
}

// DeleteAllOf implements federationport.IdentityRepository.
func (s *Store) DeleteAllOf(ctx context.Context, user shared.UserID) (int, error) {
	res := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&identityRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete identities: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

type flowRow struct {
	StateHash       string     `gorm:"column:state_hash;primaryKey"`
	BindingHash     string     `gorm:"column:binding_hash"`
	Provider        string     `gorm:"column:provider"`
	Nonce           string     `gorm:"column:nonce"`
	Verifier        string     `gorm:"column:verifier"`
	ReturnTo        string     `gorm:"column:return_to"`
	Delivery        string     `gorm:"column:delivery"`
	LinkUserID      *uuid.UUID `gorm:"column:link_user_id"`
	ProviderSession string     `gorm:"column:provider_session"`
	CreatedAt       time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt       time.Time  `gorm:"column:expires_at"`
}

func (flowRow) TableName() string { return "federation_flows" }

// FlowStore implements federationport.FlowStore.
type FlowStore struct{ db *pgstore.DB }

var _ federationport.FlowStore = (*FlowStore)(nil)

// Put implements federationport.FlowStore.
func (s *FlowStore) Put(ctx context.Context, f *federation.Flow) error {
	sp := f.Spec()
	row := flowRow{
		StateHash: sp.StateHash, BindingHash: sp.BindingHash, Provider: sp.Provider.String(), Nonce: sp.Nonce,
		Verifier: sp.Verifier, ReturnTo: sp.ReturnTo, Delivery: sp.Delivery.String(), ProviderSession: sp.ProviderSession,
		CreatedAt: f.CreatedAt().UTC(), ExpiresAt: f.ExpiresAt().UTC(),
	}
	if !sp.LinkTo.IsZero() {
		u := uuid.UUID(sp.LinkTo)
		row.LinkUserID = &u
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert flow: %w", err)
	}
	return nil
}

// Take implements federationport.FlowStore.
func (s *FlowStore) Take(ctx context.Context, stateHash string) (*federation.Flow, error) {
	var rows []flowRow
	err := s.db.Conn(ctx).Clauses(clause.Returning{}).Where("state_hash = ?", stateHash).Delete(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("take flow: %w", err)
	}
	if len(rows) != 1 {
		return nil, federation.ErrStateInvalid
	}
	r := rows[0]
	p, err := federation.ParseProviderName(r.Provider)
	if err != nil {
		return nil, fmt.Errorf("stored flow: %w", err)
	}
	d, err := shared.ParseDelivery(r.Delivery)
	if err != nil {
		return nil, fmt.Errorf("stored flow: %w", err)
	}
	sp := federation.FlowSpec{
		StateHash: r.StateHash, BindingHash: r.BindingHash, Provider: p, Nonce: r.Nonce, Verifier: r.Verifier,
		ReturnTo: r.ReturnTo, Delivery: d, ProviderSession: r.ProviderSession,
	}
	if r.LinkUserID != nil {
		sp.LinkTo = shared.UserID(*r.LinkUserID)
	}
	return federation.RehydrateFlow(sp, r.CreatedAt, r.ExpiresAt), nil
}

// DeleteExpired implements federationport.FlowStore.
func (s *FlowStore) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	return deleteExpired(ctx, s.db, "federation_flows", "state_hash", now, batch)
}

// DeleteLinksTo implements federationport.FlowStore.
func (s *FlowStore) DeleteLinksTo(ctx context.Context, user shared.UserID) (int, error) {
	res := s.db.Conn(ctx).Where("link_user_id = ?", uuid.UUID(user)).Delete(&flowRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete link flows: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

type codeRow struct {
	CodeHash  string    `gorm:"column:code_hash;primaryKey"`
	UserID    uuid.UUID `gorm:"column:user_id"`
	Method    string    `gorm:"column:method"`
	AMR       string    `gorm:"column:amr"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (codeRow) TableName() string { return "federation_login_codes" }

// LoginCodeStore implements federationport.LoginCodeStore.
type LoginCodeStore struct{ db *pgstore.DB }

var _ federationport.LoginCodeStore = (*LoginCodeStore)(nil)

// Put implements federationport.LoginCodeStore.
func (s *LoginCodeStore) Put(ctx context.Context, c *federation.LoginCode) error {
	row := codeRow{CodeHash: c.Hash(), UserID: uuid.UUID(c.UserID()), Method: c.Method(), AMR: strings.Join(c.AMR(), " "),
		CreatedAt: c.CreatedAt().UTC(), ExpiresAt: c.ExpiresAt().UTC()}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert login code: %w", err)
	}
	return nil
}

// Take implements federationport.LoginCodeStore.
func (s *LoginCodeStore) Take(ctx context.Context, hash string) (*federation.LoginCode, error) {
	var rows []codeRow
	if err := s.db.Conn(ctx).Clauses(clause.Returning{}).Where("code_hash = ?", hash).Delete(&rows).Error; err != nil {
		return nil, fmt.Errorf("take login code: %w", err)
	}
	if len(rows) != 1 {
		return nil, federation.ErrLoginCodeInvalid
	}
	r := rows[0]
	return federation.RehydrateLoginCode(r.CodeHash, shared.UserID(r.UserID), r.Method, strings.Fields(r.AMR), r.CreatedAt, r.ExpiresAt), nil
}

// DeleteExpired implements federationport.LoginCodeStore.
func (s *LoginCodeStore) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	return deleteExpired(ctx, s.db, "federation_login_codes", "code_hash", now, batch)
}

// DeleteOf implements federationport.LoginCodeStore.
func (s *LoginCodeStore) DeleteOf(ctx context.Context, user shared.UserID, methods []string) (int, error) {
	if len(methods) == 0 {
		return 0, nil
	}
	res := s.db.Conn(ctx).Where("user_id = ? AND method IN ?", uuid.UUID(user), methods).Delete(&codeRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete login codes: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// deleteExpired removes up to batch rows of table that expired before now,
// in one short statement.
func deleteExpired(ctx context.Context, db *pgstore.DB, table, key string, now time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	// table and key are this package's constants, never input.
	res := db.Conn(ctx).Exec("DELETE FROM "+table+" WHERE "+key+" IN (SELECT "+key+" FROM "+table+
		" WHERE expires_at < ? LIMIT ?)", now.UTC(), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired %s: %w", table, res.Error)
	}
	return int(res.RowsAffected), nil
}
