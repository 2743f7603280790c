// Package mfapg is the GORM adapter of the mfa context's stores
// (PostgreSQL and SQLite, migration 00027): factors, recovery code sets,
// login challenges and step-up records. Updates lock their row (FOR
// UPDATE on PostgreSQL; SQLite has one writer), so a TOTP step or a
// challenge is spent once however many instances race.
//
// It imports GORM, pgstore, ports and the domain, never application/.
package mfapg

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
)

// Store holds the context's stores on one database.
type Store struct{ db *pgstore.DB }

// New returns the store.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Factors returns the factor store.
func (s *Store) Factors() *FactorStore { return &FactorStore{db: s.db} }

// RecoveryCodes returns the recovery code store.
func (s *Store) RecoveryCodes() *RecoveryCodeStore { return &RecoveryCodeStore{db: s.db} }

// Challenges returns the challenge store.
func (s *Store) Challenges() *ChallengeStore { return &ChallengeStore{db: s.db} }

// StepUps returns the step-up store.
func (s *Store) StepUps() *StepUpStore { return &StepUpStore{db: s.db} }

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
	return t.UTC()
}

// FactorStore implements mfaport.FactorRepository.
type FactorStore struct{ db *pgstore.DB }

var _ mfaport.FactorRepository = (*FactorStore)(nil)

type factorRow struct {
	ID           uuid.UUID  `gorm:"column:id;primaryKey"`
	UserID       uuid.UUID  `gorm:"column:user_id"`
	Kind         string     `gorm:"column:kind"`
	SecretSealed string     `gorm:"column:secret_sealed"`
	CreatedAt    time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ConfirmedAt  *time.Time `gorm:"column:confirmed_at"`
	LastUsedAt   *time.Time `gorm:"column:last_used_at"`
	LastStep     int64      `gorm:"column:last_step"`
}

func (factorRow) TableName() string { return "mfa_factors" }

func toFactorRow(f *mfa.Factor) factorRow {
	return factorRow{
		ID: f.ID(), UserID: uuid.UUID(f.User()), Kind: f.Kind().String(), SecretSealed: f.Secret().String(),
		CreatedAt: f.CreatedAt().UTC(), ConfirmedAt: optTime(f.ConfirmedAt()), LastUsedAt: optTime(f.LastUsedAt()), LastStep: f.LastStep(),
	}
}

func (r factorRow) factor() (*mfa.Factor, error) {
	kind, err := mfa.ParseKind(r.Kind)
	if err != nil {
		return nil, fmt.Errorf("stored factor %s: %w", r.ID, err)
	}
	secret, err := mfa.NewSealedSecret(r.SecretSealed)
	if err != nil {
		return nil, fmt.Errorf("stored factor %s: %w", r.ID, err)
	}
	return mfa.RehydrateFactor(mfa.FactorState{
		ID: r.ID, User: shared.UserID(r.UserID), Kind: kind, Secret: secret, CreatedAt: r.CreatedAt.UTC(),
		ConfirmedAt: deref(r.ConfirmedAt), LastUsedAt: deref(r.LastUsedAt), LastStep: r.LastStep,
	}), nil
}

// Add implements mfaport.FactorRepository.
func (s *FactorStore) Add(ctx context.Context, f *mfa.Factor) error {
	row := toFactorRow(f)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert factor: %w", err)
	}
	return nil
}

func (s *FactorStore) take(ctx context.Context, lock bool, id uuid.UUID) (*mfa.Factor, error) {
	q := s.db.Conn(ctx).Where("id = ?", id)
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row factorRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, mfa.ErrFactorNotFound
		}
		return nil, fmt.Errorf("read factor: %w", err)
	}
	return row.factor()
}

// Find implements mfaport.FactorRepository.
func (s *FactorStore) Find(ctx context.Context, id uuid.UUID) (*mfa.Factor, error) {
	return s.take(ctx, false, id)
}

// List implements mfaport.FactorRepository.
func (s *FactorStore) List(ctx context.Context, user shared.UserID) ([]*mfa.Factor, error) {
	var rows []factorRow
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	out := make([]*mfa.Factor, 0, len(rows))
	for _, r := range rows {
		f, err := r.factor()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Update implements mfaport.FactorRepository.
func (s *FactorStore) Update(ctx context.Context, id uuid.UUID, fn func(*mfa.Factor) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		f, err := s.take(ctx, true, id)
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		row := toFactorRow(f)
		err = s.db.Conn(ctx).Model(&factorRow{}).Where("id = ?", id).Updates(map[string]any{
			"confirmed_at": row.ConfirmedAt, "last_used_at": row.LastUsedAt, "last_step": row.LastStep,
		}).Error
		if err != nil {
			return fmt.Errorf("update factor: %w", err)
		}
		return nil
	})
}

// Delete implements mfaport.FactorRepository.
func (s *FactorStore) Delete(ctx context.Context, id uuid.UUID) error {
	res := s.db.Conn(ctx).Where("id = ?", id).Delete(&factorRow{})
	if res.Error != nil {
		return fmt.Errorf("delete factor: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return mfa.ErrFactorNotFound
	}
	return nil
}

// Page implements mfaport.FactorRepository.
func (s *FactorStore) Page(ctx context.Context, after uuid.UUID, limit int) ([]*mfa.Factor, error) {
	var rows []factorRow
	if err := s.db.Conn(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("page factors: %w", err)
	}
	out := make([]*mfa.Factor, 0, len(rows))
	for _, r := range rows {
		f, err := r.factor()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ReplaceSecret implements mfaport.FactorRepository.
func (s *FactorStore) ReplaceSecret(ctx context.Context, id uuid.UUID, from, to mfa.SealedSecret) (bool, error) {
	res := s.db.Conn(ctx).Model(&factorRow{}).Where("id = ? AND secret_sealed = ?", id, from.String()).Update("secret_sealed", to.String())
	if res.Error != nil {
		return false, fmt.Errorf("reseal factor: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DeletePending implements mfaport.FactorRepository.
func (s *FactorStore) DeletePending(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ? AND confirmed_at IS NULL", uuid.UUID(user)).Delete(&factorRow{}).Error; err != nil {
		return fmt.Errorf("delete pending factors: %w", err)
	}
	return nil
}

// DeleteOfUser implements mfaport.FactorRepository.
func (s *FactorStore) DeleteOfUser(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&factorRow{}).Error; err != nil {
		return fmt.Errorf("delete factors: %w", err)
	}
	return nil
}

// RecoveryCodeStore implements mfaport.RecoveryCodeRepository.
type RecoveryCodeStore struct{ db *pgstore.DB }

var _ mfaport.RecoveryCodeRepository = (*RecoveryCodeStore)(nil)

type recoveryRow struct {
	UserID      uuid.UUID `gorm:"column:user_id;primaryKey"`
	Codes       string    `gorm:"column:codes"`
	GeneratedAt time.Time `gorm:"column:generated_at;autoCreateTime:false"`
}

func (recoveryRow) TableName() string { return "mfa_recovery_codes" }

type storedCode struct {
	Digest string     `json:"digest"`
	UsedAt *time.Time `json:"used_at"`
}

func toRecoveryRow(rc *mfa.RecoveryCodes) (recoveryRow, error) {
	codes := rc.Codes()
	stored := make([]storedCode, len(codes))
	for i, c := range codes {
		stored[i] = storedCode{Digest: c.Digest.String(), UsedAt: optTime(c.UsedAt)}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return recoveryRow{}, fmt.Errorf("encode recovery codes: %w", err)
	}
	return recoveryRow{UserID: uuid.UUID(rc.User()), Codes: string(b), GeneratedAt: rc.GeneratedAt().UTC()}, nil
}

func (r recoveryRow) codes() (*mfa.RecoveryCodes, error) {
	var stored []storedCode
	if err := json.Unmarshal([]byte(r.Codes), &stored); err != nil {
		return nil, fmt.Errorf("stored recovery codes of %s: %w", r.UserID, err)
	}
	codes := make([]mfa.RecoveryCode, len(stored))
	for i, c := range stored {
		d, err := mfa.NewCodeDigest(c.Digest)
		if err != nil {
			return nil, fmt.Errorf("stored recovery codes of %s: %w", r.UserID, err)
		}
		codes[i] = mfa.RecoveryCode{Digest: d, UsedAt: deref(c.UsedAt)}
	}
	return mfa.RehydrateRecoveryCodes(shared.UserID(r.UserID), codes, r.GeneratedAt.UTC()), nil
}

// Save implements mfaport.RecoveryCodeRepository.
func (s *RecoveryCodeStore) Save(ctx context.Context, rc *mfa.RecoveryCodes) error {
	row, err := toRecoveryRow(rc)
	if err != nil {
		return err
	}
	err = s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"codes", "generated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("save recovery codes: %w", err)
	}
	return nil
}

func (s *RecoveryCodeStore) get(ctx context.Context, lock bool, user shared.UserID) (*mfa.RecoveryCodes, error) {
	q := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user))
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row recoveryRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read recovery codes: %w", err)
	}
	return row.codes()
}

// Get implements mfaport.RecoveryCodeRepository.
func (s *RecoveryCodeStore) Get(ctx context.Context, user shared.UserID) (*mfa.RecoveryCodes, error) {
	return s.get(ctx, false, user)
}

// Update implements mfaport.RecoveryCodeRepository.
func (s *RecoveryCodeStore) Update(ctx context.Context, user shared.UserID, fn func(*mfa.RecoveryCodes) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		rc, err := s.get(ctx, true, user)
		if err != nil {
			return err
		}
		if err := fn(rc); err != nil {
			return err
		}
		if rc == nil {
			return nil
		}
		row, err := toRecoveryRow(rc)
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&recoveryRow{}).Where("user_id = ?", row.UserID).Update("codes", row.Codes).Error; err != nil {
			return fmt.Errorf("update recovery codes: %w", err)
		}
		return nil
	})
}

// Delete implements mfaport.RecoveryCodeRepository.
func (s *RecoveryCodeStore) Delete(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&recoveryRow{}).Error; err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	return nil
}

// ChallengeStore implements mfaport.ChallengeRepository.
type ChallengeStore struct{ db *pgstore.DB }

var _ mfaport.ChallengeRepository = (*ChallengeStore)(nil)

type challengeRow struct {
	ID        uuid.UUID  `gorm:"column:id;primaryKey"`
	UserID    uuid.UUID  `gorm:"column:user_id"`
	TokenHash []byte     `gorm:"column:token_hash"`
	Method    string     `gorm:"column:method"`
	AMR       string     `gorm:"column:amr"`
	Client    string     `gorm:"column:client"`
	CreatedAt time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
	Failures  int        `gorm:"column:failures"`
}

func (challengeRow) TableName() string { return "mfa_challenges" }

func toChallengeRow(c *mfa.Challenge) challengeRow {
	return challengeRow{
		ID: c.ID(), UserID: uuid.UUID(c.User()), TokenHash: c.Hash().Bytes(), Method: c.Method(), AMR: strings.Join(c.AMR(), " "),
		Client: c.Client(), CreatedAt: c.CreatedAt().UTC(), ExpiresAt: c.ExpiresAt().UTC(), UsedAt: optTime(c.UsedAt()), Failures: c.Failures(),
	}
}

func (r challengeRow) challenge() (*mfa.Challenge, error) {
	h, err := mfa.NewChallengeHash(r.TokenHash)
	if err != nil {
		return nil, fmt.Errorf("stored challenge %s: %w", r.ID, err)
	}
	return mfa.RehydrateChallenge(mfa.ChallengeState{
		ID: r.ID, User: shared.UserID(r.UserID), Hash: h, Method: r.Method, AMR: strings.Fields(r.AMR), Client: r.Client,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: deref(r.UsedAt), Failures: r.Failures,
	}), nil
}

// Add implements mfaport.ChallengeRepository.
func (s *ChallengeStore) Add(ctx context.Context, c *mfa.Challenge) error {
	row := toChallengeRow(c)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("insert challenge: %w", err)
	}
	return nil
}

func (s *ChallengeStore) take(ctx context.Context, lock bool, where string, arg any) (*mfa.Challenge, error) {
	q := s.db.Conn(ctx).Where(where, arg)
	if lock {
		q = s.db.ForUpdate(q)
	}
	var row challengeRow
	if err := q.Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, mfa.ErrChallengeInvalid
		}
		return nil, fmt.Errorf("read challenge: %w", err)
	}
	return row.challenge()
}

// FindByHash implements mfaport.ChallengeRepository.
func (s *ChallengeStore) FindByHash(ctx context.Context, h mfa.ChallengeHash) (*mfa.Challenge, error) {
	return s.take(ctx, false, "token_hash = ?", h.Bytes())
}

// Update implements mfaport.ChallengeRepository.
func (s *ChallengeStore) Update(ctx context.Context, id uuid.UUID, fn func(*mfa.Challenge) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		c, err := s.take(ctx, true, "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		row := toChallengeRow(c)
		err = s.db.Conn(ctx).Model(&challengeRow{}).Where("id = ?", id).
			Updates(map[string]any{"used_at": row.UsedAt, "failures": row.Failures}).Error
		if err != nil {
			return fmt.Errorf("update challenge: %w", err)
		}
		return nil
	})
}

// DeleteExpired implements mfaport.ChallengeRepository: one bounded
// statement per batch, by the expiry index.
func (s *ChallengeStore) DeleteExpired(ctx context.Context, before time.Time, batch int) (int, error) {
	res := s.db.Conn(ctx).Exec(`DELETE FROM mfa_challenges WHERE id IN (SELECT id FROM mfa_challenges WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`,
		before.UTC(), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired challenges: %w", res.Error)
	}
	return int(res.RowsAffected), nil
}

// DeleteOfUser implements mfaport.ChallengeRepository.
func (s *ChallengeStore) DeleteOfUser(ctx context.Context, user shared.UserID) error {
	if err := s.db.Conn(ctx).Where("user_id = ?", uuid.UUID(user)).Delete(&challengeRow{}).Error; err != nil {
		return fmt.Errorf("delete challenges: %w", err)
	}
	return nil
}

// StepUpStore implements mfaport.StepUpRepository.
type StepUpStore struct{ db *pgstore.DB }

var _ mfaport.StepUpRepository = (*StepUpStore)(nil)

type stepUpRow struct {
	SessionID  uuid.UUID `gorm:"column:session_id;primaryKey"`
	UserID     uuid.UUID `gorm:"column:user_id"`
	VerifiedAt time.Time `gorm:"column:verified_at"`
}

func (stepUpRow) TableName() string { return "mfa_step_ups" }

// Record implements mfaport.StepUpRepository.
//
// One statement: two checks of one session racing both insert, and the
// later instant stays (an earlier one never replaces it).
func (s *StepUpStore) Record(ctx context.Context, session uuid.UUID, user shared.UserID, at time.Time) error {
	row := stepUpRow{SessionID: session, UserID: uuid.UUID(user), VerifiedAt: at.UTC()}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "session_id"}},
		DoUpdates: clause.Assignments(map[string]any{"verified_at": gorm.Expr("excluded.verified_at")}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "mfa_step_ups.verified_at < excluded.verified_at"}}},
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("record step-up: %w", err)
	}
	return nil
}

// Last implements mfaport.StepUpRepository.
func (s *StepUpStore) Last(ctx context.Context, session uuid.UUID) (time.Time, error) {
	var row stepUpRow
	err := s.db.Conn(ctx).Where("session_id = ?", session).Take(&row).Error
	if pgstore.IsNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read step-up: %w", err)
	}
	return row.VerifiedAt.UTC(), nil
}
