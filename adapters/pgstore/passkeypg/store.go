// Package passkeypg is the GORM adapter of the passkey context's stores
// (PostgreSQL and SQLite, migration 00031): passkeys and begun ceremonies.
// An update locks its row (FOR UPDATE on PostgreSQL; SQLite has one
// writer), so a sign counter moves forward once however many instances
// race; a ceremony is taken by deleting its row, which one caller wins.
//
// It imports GORM, pgstore, ports and the domain, never application/.
package passkeypg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
)

// Store holds the context's stores on one database.
type Store struct{ db *pgstore.DB }

// New returns the store.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Credentials returns the passkey store.
func (s *Store) Credentials() *CredentialStore { return &CredentialStore{db: s.db} }

// Ceremonies returns the ceremony store.
func (s *Store) Ceremonies() *CeremonyStore { return &CeremonyStore{db: s.db} }

// CredentialStore implements passkeyport.CredentialRepository.
type CredentialStore struct{ db *pgstore.DB }

var _ passkeyport.CredentialRepository = (*CredentialStore)(nil)

type credentialRow struct {
	ID                uuid.UUID  `gorm:"column:id;primaryKey"`
	UserID            uuid.UUID  `gorm:"column:user_id"`
	CredentialID      []byte     `gorm:"column:credential_id"`
	PublicKey         []byte     `gorm:"column:public_key"`
	Name              string     `gorm:"column:name"`
	AAGUID            []byte     `gorm:"column:aaguid"`
	Transports        string     `gorm:"column:transports"`
	AttestationFormat string     `gorm:"column:attestation_format"`
	SignCount         int64      `gorm:"column:sign_count"`
	UserVerified      bool       `gorm:"column:user_verified"`
	BackupEligible    bool       `gorm:"column:backup_eligible"`
	BackupState       bool       `gorm:"column:backup_state"`
	CreatedAt         time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	LastUsedAt        *time.Time `gorm:"column:last_used_at"`
}

func (credentialRow) TableName() string { return "passkeys" }

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toRow(c *passkey.Credential) credentialRow {
	aaguid := c.AAGUID()
	if aaguid == nil {
		aaguid = []byte{}
	}
	return credentialRow{
		ID: c.ID(), UserID: uuid.UUID(c.User()), CredentialID: c.CredentialID(), PublicKey: c.PublicKey(), Name: c.Name(),
		AAGUID: aaguid, Transports: strings.Join(c.Transports(), ","), AttestationFormat: c.AttestationFormat(),
		SignCount: int64(c.SignCount()), UserVerified: c.UserVerified(), BackupEligible: c.BackupEligible(),
		BackupState: c.BackupState(), CreatedAt: c.CreatedAt().UTC(), LastUsedAt: optTime(c.LastUsedAt()),
	}
}

func (r credentialRow) credential() *passkey.Credential {
	var transports []string
	if r.Transports != "" {
		transports = strings.Split(r.Transports, ",")
	}
	var last time.Time
	if r.LastUsedAt != nil {
		last = r.LastUsedAt.UTC()
	}
	return passkey.RehydrateCredential(passkey.CredentialState{
		ID: r.ID, User: shared.UserID(r.UserID), CredentialID: r.CredentialID, PublicKey: r.PublicKey, Name: r.Name,
		AAGUID: r.AAGUID, Transports: transports, AttestationFormat: r.AttestationFormat, SignCount: uint32(r.SignCount),
		UserVerified: r.UserVerified, BackupEligible: r.BackupEligible, BackupState: r.BackupState,
		CreatedAt: r.CreatedAt.UTC(), LastUsedAt: last,
	})
}

// Add implements passkeyport.CredentialRepository.
func (s *CredentialStore) Add(ctx context.Context, c *passkey.Credential) error {
	row := toRow(c)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return passkey.ErrAlreadyRegistered
		}
		return fmt.Errorf("insert passkey: %w", err)
	}
	return nil
}

func (s *CredentialStore) take(ctx context.Context, lock bool, where string, arg any) (*passkey.Credential, error) {
	q := s.db.Conn(ctx).Where(where, arg)
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row credentialRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, passkey.ErrNotFound
		}
		return nil, fmt.Errorf("read passkey: %w", err)
	}
	return row.credential(), nil
}

// Find implements passkeyport.CredentialRepository.
func (s *CredentialStore) Find(ctx context.Context, id uuid.UUID) (*passkey.Credential, error) {
	return s.take(ctx, false, "id = ?", id)
}

// FindByCredentialID implements passkeyport.CredentialRepository.
func (s *CredentialStore) FindByCredentialID(ctx context.Context, credentialID []byte) (*passkey.Credential, error) {
	if len(credentialID) == 0 || len(credentialID) > passkey.MaxCredentialIDBytes {
		return nil, passkey.ErrNotFound
	}
	return s.take(ctx, false, "credential_id = ?", credentialID)
}

// List implements passkeyport.CredentialRepository.
func (s *CredentialStore) List(ctx context.Context, user shared.UserID) ([]*passkey.Credential, error) {
	var rows []credentialRow
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	out := make([]*passkey.Credential, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.credential())
	}
	return out, nil
}

// Update implements passkeyport.CredentialRepository.
func (s *CredentialStore) Update(ctx context.Context, id uuid.UUID, fn func(*passkey.Credential) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		c, err := s.take(ctx, true, "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		row := toRow(c)
		err = s.db.Conn(ctx).Model(&credentialRow{}).Where("id = ?", id).Updates(map[string]any{
			"name": row.Name, "sign_count": row.SignCount, "user_verified": row.UserVerified,
			"backup_state": row.BackupState, "last_used_at": row.LastUsedAt,
		}).Error
		if err != nil {
			return fmt.Errorf("update passkey: %w", err)
		}
		return nil
	})
}

// Delete implements passkeyport.CredentialRepository.
func (s *CredentialStore) Delete(ctx context.Context, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("id = ?", id).Delete(&credentialRow{})
	if res.Error != nil {
		return fmt.Errorf("delete passkey: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return passkey.ErrNotFound
	}
	return nil
}

// DeleteOfUser implements passkeyport.CredentialRepository.
func (s *CredentialStore) DeleteOfUser(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&credentialRow{}).Error; err != nil {
		return fmt.Errorf("delete passkeys: %w", err)
	}
	return nil
}

// CeremonyStore implements passkeyport.CeremonyRepository.
type CeremonyStore struct{ db *pgstore.DB }

var _ passkeyport.CeremonyRepository = (*CeremonyStore)(nil)

type ceremonyRow struct {
	ID        uuid.UUID  `gorm:"column:id;primaryKey"`
	TokenHash []byte     `gorm:"column:token_hash"`
	Purpose   string     `gorm:"column:purpose"`
	UserID    *uuid.UUID `gorm:"column:user_id"`
	Client    string     `gorm:"column:client"`
	State     []byte     `gorm:"column:state"`
	CreatedAt time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
}

func (ceremonyRow) TableName() string { return "passkey_ceremonies" }

// Add implements passkeyport.CeremonyRepository.
func (s *CeremonyStore) Add(ctx context.Context, c *passkey.Ceremony) error {
	h := c.Hash()
	row := ceremonyRow{
		ID: c.ID(), TokenHash: h[:], Purpose: c.Purpose().String(), Client: c.Client(), State: c.State(),
		CreatedAt: c.CreatedAt().UTC(), ExpiresAt: c.ExpiresAt().UTC(),
	}
	if !c.User().IsZero() {
		u := uuid.UUID(c.User())
		row.UserID = &u
	}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert passkey ceremony: %w", err)
	}
	return nil
}

// Take implements passkeyport.CeremonyRepository: the row is read, then
// deleted by id; only the caller whose delete removed it gets it.
func (s *CeremonyStore) Take(ctx context.Context, h passkey.TokenHash) (*passkey.Ceremony, error) {
	var out *passkey.Ceremony
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var row ceremonyRow
		if err := s.db.Conn(ctx).Where("token_hash = ?", h[:]).Take(&row).Error; err != nil {
			if pgstore.IsNotFound(err) {
				return passkey.ErrCeremonyInvalid
			}
			return fmt.Errorf("read passkey ceremony: %w", err)
		}
		res := s.db.Conn(ctx).Where("id = ?", row.ID).Delete(&ceremonyRow{})
		if res.Error != nil {
			return fmt.Errorf("delete passkey ceremony: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return passkey.ErrCeremonyInvalid
		}
		purpose, err := passkey.ParsePurpose(row.Purpose)
		if err != nil {
			return fmt.Errorf("stored passkey ceremony %s: %w", row.ID, err)
		}
		var user shared.UserID
		if row.UserID != nil {
			user = shared.UserID(*row.UserID)
		}
		out = passkey.RehydrateCeremony(passkey.CeremonyState{
			ID: row.ID, Hash: h, Purpose: purpose, User: user, Client: row.Client, State: row.State,
			CreatedAt: row.CreatedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC(),
		})
		return nil
	})
	return out, err
}

// DeleteExpired implements passkeyport.CeremonyRepository.
func (s *CeremonyStore) DeleteExpired(ctx context.Context, now time.Time) error {
	if err := s.db.Conn(ctx).Where("expires_at < ?", now.UTC()).Delete(&ceremonyRow{}).Error; err != nil {
		return fmt.Errorf("delete expired passkey ceremonies: %w", err)
	}
	return nil
}

// DeleteOfUser implements passkeyport.CeremonyRepository.
func (s *CeremonyStore) DeleteOfUser(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&ceremonyRow{}).Error; err != nil {
		return fmt.Errorf("delete passkey ceremonies: %w", err)
	}
	return nil
}
