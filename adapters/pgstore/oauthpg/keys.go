package oauthpg

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/ports/oauthport"
)

type keyRow struct {
	ID          string    `gorm:"column:id;primaryKey"`
	Kind        string    `gorm:"column:kind"`
	Generation  int       `gorm:"column:generation"`
	Sealed      string    `gorm:"column:sealed"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ActivatesAt time.Time `gorm:"column:activates_at"`
}

func (keyRow) TableName() string { return "oauth_keys" }

// Keys is the GORM key repository.
type Keys struct {
	db *pgstore.DB
}

var _ oauthport.KeyRepository = (*Keys)(nil)

// NewKeys returns the key repository on db.
func NewKeys(db *pgstore.DB) *Keys { return &Keys{db: db} }

// List implements oauthport.KeyRepository.
func (s *Keys) List(ctx context.Context) ([]oauthport.StoredKey, error) {
	var rows []keyRow
	if err := s.db.Conn(ctx).Order("kind, generation").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list OAuth keys: %w", err)
	}
	out := make([]oauthport.StoredKey, 0, len(rows))
	for _, r := range rows {
		kind, ok := oauth.ParseKeyKind(r.Kind)
		if !ok {
			return nil, fmt.Errorf("stored OAuth key %s has an unknown kind %q", r.ID, r.Kind)
		}
		out = append(out, oauthport.StoredKey{
			Key:    oauth.NewKey(r.ID, kind, r.Generation, r.CreatedAt.UTC(), r.ActivatesAt.UTC()),
			Sealed: r.Sealed,
		})
	}
	return out, nil
}

// Add implements oauthport.KeyRepository. The unique (kind, generation)
// makes the second of two instances creating the same key lose.
func (s *Keys) Add(ctx context.Context, k oauthport.StoredKey) error {
	r := keyRow{
		ID: k.Key.ID(), Kind: k.Key.Kind().String(), Generation: k.Key.Generation(), Sealed: k.Sealed,
		CreatedAt: k.Key.CreatedAt().UTC(), ActivatesAt: k.Key.ActivatesAt().UTC(),
	}
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return oauth.ErrKeyExists.WithCause(err)
		}
		return fmt.Errorf("insert OAuth key: %w", err)
	}
	return nil
}

// Reseal implements oauthport.KeyRepository.
func (s *Keys) Reseal(ctx context.Context, id, sealed string) error {
	res := s.db.Conn(ctx).Model(&keyRow{}).Where("id = ?", id).Update("sealed", sealed)
	if res.Error != nil {
		return fmt.Errorf("reseal OAuth key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return oauthport.ErrKeyNotFound
	}
	return nil
}

// Delete implements oauthport.KeyRepository.
func (s *Keys) Delete(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.db.Conn(ctx).Where("id IN ?", ids).Delete(&keyRow{}).Error; err != nil {
		return fmt.Errorf("delete OAuth keys: %w", err)
	}
	return nil
}
