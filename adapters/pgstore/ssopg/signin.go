package ssopg

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// Flows returns the store of started sign-ins (migration 00026): a flow
// is taken by DELETE … RETURNING, so it is single use without a lock.
func (s *Store) Flows() *Flows { return &Flows{db: s.db} }

// Identities returns the store of identities linked through connections.
func (s *Store) Identities() *Identities { return &Identities{db: s.db} }

// Flows implements ssoport.FlowStore.
type Flows struct{ db *pgstore.DB }

var _ ssoport.FlowStore = (*Flows)(nil)

type flowRow struct {
	StateHash    string    `gorm:"column:state_hash;primaryKey"`
	BindingHash  string    `gorm:"column:binding_hash"`
	ConnectionID uuid.UUID `gorm:"column:connection_id"`
	Nonce        string    `gorm:"column:nonce"`
	Verifier     string    `gorm:"column:verifier"`
	ReturnTo     string    `gorm:"column:return_to"`
	Delivery     string    `gorm:"column:delivery"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt    time.Time `gorm:"column:expires_at"`
}

func (flowRow) TableName() string { return "sso_flows" }

// Put implements ssoport.FlowStore.
func (s *Flows) Put(ctx context.Context, f *sso.Flow) error {
	sp := f.Spec()
	row := flowRow{
		StateHash: sp.StateHash, BindingHash: sp.BindingHash, ConnectionID: sp.Connection, Nonce: sp.Nonce, Verifier: sp.Verifier,
		ReturnTo: sp.ReturnTo, Delivery: sp.Delivery.String(), CreatedAt: f.CreatedAt().UTC(), ExpiresAt: f.ExpiresAt().UTC(),
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert sso flow: %w", err)
	}
	return nil
}

// Take implements ssoport.FlowStore.
func (s *Flows) Take(ctx context.Context, stateHash string) (*sso.Flow, error) {
	var rows []flowRow
	if err := s.db.Conn(ctx).Clauses(clause.Returning{}).Where("state_hash = ?", stateHash).Delete(&rows).Error; err != nil {
		return nil, fmt.Errorf("take sso flow: %w", err)
	}
	if len(rows) != 1 {
		return nil, sso.ErrStateInvalid
	}
	r := rows[0]
	d, err := shared.ParseDelivery(r.Delivery)
	if err != nil {
		return nil, fmt.Errorf("stored sso flow: %w", err)
	}
	return sso.RehydrateFlow(sso.FlowSpec{
		StateHash: r.StateHash, BindingHash: r.BindingHash, Connection: r.ConnectionID, Nonce: r.Nonce, Verifier: r.Verifier,
		ReturnTo: r.ReturnTo, Delivery: d,
	}, r.CreatedAt, r.ExpiresAt), nil
}

// DeleteExpired implements ssoport.FlowStore.
func (s *Flows) DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	if batch <= 0 {
		return 0, nil
	}
	res := s.db.Conn(ctx).Exec("DELETE FROM sso_flows WHERE state_hash IN (SELECT state_hash FROM sso_flows WHERE expires_at < ? LIMIT ?)",
		now.UTC(), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired sso flows: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// Identities implements ssoport.IdentityRepository.
type Identities struct{ db *pgstore.DB }

var _ ssoport.IdentityRepository = (*Identities)(nil)

type identityRow struct {
	ID           uuid.UUID `gorm:"column:id;primaryKey"`
	ConnectionID uuid.UUID `gorm:"column:connection_id"`
	UserID       uuid.UUID `gorm:"column:user_id"`
	Subject      string    `gorm:"column:subject"`
	Email        string    `gorm:"column:email"`
	Name         string    `gorm:"column:name"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	LastSignInAt time.Time `gorm:"column:last_sign_in_at"`
}

func (identityRow) TableName() string { return "sso_identities" }

func toIdentityRow(i *sso.Identity) identityRow {
	st := i.State()
	return identityRow{ID: st.ID, ConnectionID: st.Connection, UserID: uuid.UUID(st.User), Subject: st.Subject, Email: st.Email,
		Name: st.Name, CreatedAt: st.CreatedAt.UTC(), LastSignInAt: st.LastSignInAt.UTC()}
}

// Add implements ssoport.IdentityRepository.
func (s *Identities) Add(ctx context.Context, i *sso.Identity) error {
	row := toIdentityRow(i)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return sso.ErrIdentityTaken.WithCause(err)
		}
		return fmt.Errorf("insert sso identity: %w", err)
	}
	return nil
}

// Find implements ssoport.IdentityRepository.
func (s *Identities) Find(ctx context.Context, connection uuid.UUID, subject string) (*sso.Identity, error) {
	var row identityRow
	err := s.db.Conn(ctx).Where("connection_id = ? AND subject = ?", connection, subject).Take(&row).Error
	if err != nil {
		return nil, notFound(err, sso.ErrIdentityNotFound, "find sso identity")
	}
	return sso.RehydrateIdentity(sso.IdentityState{
		ID: row.ID, Connection: row.ConnectionID, User: shared.UserID(row.UserID), Subject: row.Subject, Email: row.Email,
		Name: row.Name, CreatedAt: row.CreatedAt, LastSignInAt: row.LastSignInAt,
	}), nil
}

// Save implements ssoport.IdentityRepository.
func (s *Identities) Save(ctx context.Context, i *sso.Identity) error {
	row := toIdentityRow(i)
	res := s.db.Conn(ctx).Model(&identityRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"email": row.Email, "name": row.Name, "last_sign_in_at": row.LastSignInAt,
	})
	if res.Error != nil {
		return fmt.Errorf("save sso identity: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return sso.ErrIdentityNotFound
	}
	return nil
}

// Delete implements ssoport.IdentityRepository.
func (s *Identities) Delete(ctx context.Context, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("id = ?", id).Delete(&identityRow{})
	if res.Error != nil {
		return fmt.Errorf("delete sso identity: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return sso.ErrIdentityNotFound
	}
	return nil
}

// DeleteAllOf implements ssoport.IdentityRepository.
func (s *Identities) DeleteAllOf(ctx context.Context, user shared.UserID) (int, error) {
	res := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&identityRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete sso identities: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}
