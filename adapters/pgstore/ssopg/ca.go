package ssopg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/ports/ssoport"
)

// CA implements ssoport.CAStore (migration 00030): one row.
type CA struct{ db *pgstore.DB }

var _ ssoport.CAStore = (*CA)(nil)

// CA returns the certificate authority's store.
func (s *Store) CA() *CA { return &CA{db: s.db} }

type caRow struct {
	ID          int       `gorm:"column:id;primaryKey"`
	Certificate string    `gorm:"column:certificate"`
	SealedKey   string    `gorm:"column:sealed_key"`
	CreatedAt   time.Time `gorm:"column:created_at;autoCreateTime:false"`
}

func (caRow) TableName() string { return "sso_certificate_authority" }

// Get implements ssoport.CAStore.
func (s *CA) Get(ctx context.Context) (ssoport.CARecord, error) {
	var rows []caRow
	if err := s.db.Conn(ctx).Where("id = 1").Limit(1).Find(&rows).Error; err != nil {
		return ssoport.CARecord{}, fmt.Errorf("read certificate authority: %w", err)
	}
	if len(rows) == 0 {
		return ssoport.CARecord{}, ssoport.ErrNoCA
	}
	return ssoport.CARecord{Certificate: rows[0].Certificate, SealedKey: rows[0].SealedKey, CreatedAt: rows[0].CreatedAt}, nil
}

// Create implements ssoport.CAStore.
func (s *CA) Create(ctx context.Context, r ssoport.CARecord) (bool, error) {
	if r.Certificate == "" || r.SealedKey == "" {
		return false, errors.New("store certificate authority: empty certificate or key")
	}
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&caRow{
		ID: 1, Certificate: r.Certificate, SealedKey: r.SealedKey, CreatedAt: r.CreatedAt.UTC(),
	})
	if res.Error != nil {
		return false, fmt.Errorf("store certificate authority: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
