package mfaapp

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/sessionsport"
)

// StartTOTP implements mfaport.Service. A factor added by a stolen bearer
// token would lock its owner out, so starting needs a recent sign-in.
func (s *Service) StartTOTP(ctx context.Context, p sessionsport.Principal) (mfaport.TOTPEnrolment, error) {
	if err := s.RequireRecent(ctx, p, false); err != nil {
		return mfaport.TOTPEnrolment{}, err
	}
	factors, err := s.d.Factors.List(ctx, p.UserID)
	if err != nil {
		return mfaport.TOTPEnrolment{}, err
	}
	for _, f := range factors {
		if f.Kind() == mfa.KindTOTP && f.Confirmed() {
			return mfaport.TOTPEnrolment{}, mfa.ErrAlreadyEnrolled
		}
	}
	users, err := s.d.Directory.GetMany(ctx, []shared.UserID{p.UserID})
	if err != nil {
		return mfaport.TOTPEnrolment{}, fmt.Errorf("look up account: %w", err)
	}
	account := users[p.UserID].Email
	if account == "" {
		account = p.UserID.String()
	}
	secret, uri, err := s.d.TOTP.Generate(s.d.Issuer, account)
	if err != nil {
		return mfaport.TOTPEnrolment{}, fmt.Errorf("make TOTP secret: %w", err)
	}
	id := s.d.NewID()
	sealedText, err := s.d.Sealer.Seal(ctx, []byte(secret), secretAD(id))
	if err != nil {
		return mfaport.TOTPEnrolment{}, fmt.Errorf("seal TOTP secret: %w", err)
	}
	sealed, err := mfa.NewSealedSecret(sealedText)
	if err != nil {
		return mfaport.TOTPEnrolment{}, err
	}
	f, err := mfa.NewTOTPFactor(id, p.UserID, sealed, s.now())
	if err != nil {
		return mfaport.TOTPEnrolment{}, err
	}
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Factors.DeletePending(ctx, p.UserID); err != nil {
			return err
		}
		if err := s.d.Factors.Add(ctx, f); err != nil {
			return err
		}
		return s.write(ctx, s.event(ActionEnrolmentStarted, p.UserID, map[string]any{"factor_id": id.String(), "kind": codeTOTP}))
	})
	if err != nil {
		return mfaport.TOTPEnrolment{}, err
	}
	return mfaport.TOTPEnrolment{FactorID: id, Secret: secret, URI: uri}, nil
}

// ConfirmTOTP implements mfaport.Service.
func (s *Service) ConfirmTOTP(ctx context.Context, p sessionsport.Principal, id uuid.UUID, code string) (mfaport.Confirmed, error) {
	if code == "" {
		return mfaport.Confirmed{}, shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields", map[string][]string{"code": {"is required"}})
	}
	if len(code) > maxCodeBytes {
		return mfaport.Confirmed{}, errCodeTooLong
	}
	f, err := s.ownFactor(ctx, p.UserID, id)
	if err != nil {
		return mfaport.Confirmed{}, err
	}
	if f.Confirmed() {
		return mfaport.Confirmed{}, mfa.ErrNotPending
	}
	if err := s.admit(ctx, p.UserID); err != nil {
		return mfaport.Confirmed{}, err
	}
	secret, err := s.open(ctx, f)
	if err != nil {
		return mfaport.Confirmed{}, err
	}
	now := s.now()
	step, ok := s.d.TOTP.Match(secret, code, now)
	if !ok {
		return mfaport.Confirmed{}, s.failed(ctx, p.UserID, purposeEnrolment, codeTOTP)
	}
	var out mfaport.Confirmed
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		factors, err := s.d.Factors.List(ctx, p.UserID)
		if err != nil {
			return err
		}
		first := true
		for _, x := range factors {
			if x.Confirmed() {
				first = false
			}
		}
		var confirmed *mfa.Factor
		if err := s.d.Factors.Update(ctx, id, func(x *mfa.Factor) error {
			if err := x.Confirm(step, now); err != nil {
				return err
			}
			confirmed = x
			return nil
		}); err != nil {
			return err
		}
		if first {
			if out.RecoveryCodes, err = s.newRecoveryCodes(ctx, p.UserID); err != nil {
				return err
			}
		}
		if err := s.d.StepUps.Record(ctx, p.SessionID, p.UserID, now); err != nil {
			return err
		}
		out.Factor = factorView(confirmed)
		return s.write(ctx, s.event(ActionFactorEnrolled, p.UserID, map[string]any{
			"factor_id": id.String(), "kind": codeTOTP, "recovery_codes_generated": first,
		}))
	})
	if err != nil {
		return mfaport.Confirmed{}, err
	}
	s.passed(ctx, p.UserID)
	return out, nil
}

// newRecoveryCodes replaces the user's recovery codes in the transaction
// ctx carries and returns the new codes.
func (s *Service) newRecoveryCodes(ctx context.Context, user shared.UserID) ([]string, error) {
	codes := make([]string, 0, mfa.RecoveryCodeCount)
	digests := make([]mfa.CodeDigest, 0, mfa.RecoveryCodeCount)
	for range mfa.RecoveryCodeCount {
		c, d, err := s.d.Digests.New()
		if err != nil {
			return nil, fmt.Errorf("make recovery code: %w", err)
		}
		codes, digests = append(codes, c), append(digests, d)
	}
	set, err := mfa.NewRecoveryCodes(user, digests, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.d.RecoveryCodes.Save(ctx, set); err != nil {
		return nil, err
	}
	if err := s.write(ctx, s.event(ActionRecoveryCodesCreated, user, map[string]any{"count": len(codes)})); err != nil {
		return nil, err
	}
	return codes, nil
}

// ListFactors implements mfaport.Service.
func (s *Service) ListFactors(ctx context.Context, p sessionsport.Principal) (mfaport.Factors, error) {
	factors, err := s.d.Factors.List(ctx, p.UserID)
	if err != nil {
		return mfaport.Factors{}, err
	}
	out := mfaport.Factors{Items: make([]mfaport.FactorView, 0, len(factors))}
	for _, f := range factors {
		out.Items = append(out.Items, factorView(f))
	}
	rc, err := s.d.RecoveryCodes.Get(ctx, p.UserID)
	if err != nil {
		return mfaport.Factors{}, err
	}
	if rc != nil {
		out.RecoveryCodesLeft = rc.Remaining()
	}
	return out, nil
}

// RemoveFactor implements mfaport.Service.
func (s *Service) RemoveFactor(ctx context.Context, p sessionsport.Principal, id uuid.UUID, proof mfaport.Proof) error {
	f, err := s.ownFactor(ctx, p.UserID, id)
	if err != nil {
		return err
	}
	remove := func(ctx context.Context, via string) error {
		if err := s.d.Factors.Delete(ctx, id); err != nil {
			return err
		}
		rest, err := s.d.Factors.List(ctx, p.UserID)
		if err != nil {
			return err
		}
		left := 0
		for _, x := range rest {
			if x.Confirmed() {
				left++
			}
		}
		if left == 0 {
			if err := s.d.RecoveryCodes.Delete(ctx, p.UserID); err != nil {
				return err
			}
		}
		return s.write(ctx, s.event(ActionFactorRemoved, p.UserID, map[string]any{
			"factor_id": id.String(), "kind": f.Kind().String(), "confirmed": f.Confirmed(), "via": via,
		}))
	}
	if proof.Empty() {
		if err := s.RequireRecent(ctx, p, false); err != nil {
			return err
		}
		return s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error { return remove(ctx, "recent_sign_in") })
	}
	_, err = s.verifyProof(ctx, p.UserID, proof, purposeRemoval, func(ctx context.Context, v verified) error {
		return remove(ctx, v.kind)
	})
	return err
}

// RegenerateRecoveryCodes implements mfaport.Service.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p sessionsport.Principal, proof mfaport.Proof) ([]string, error) {
	has, err := s.HasFactor(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, mfa.ErrNoFactor
	}
	var codes []string
	if proof.Empty() {
		if err := s.RequireRecent(ctx, p, false); err != nil {
			return nil, err
		}
		err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
			codes, err = s.newRecoveryCodes(ctx, p.UserID)
			return err
		})
		return codes, err
	}
	_, err = s.verifyProof(ctx, p.UserID, proof, purposeRegenerate, func(ctx context.Context, _ verified) error {
		var err error
		codes, err = s.newRecoveryCodes(ctx, p.UserID)
		return err
	})
	return codes, err
}

// VerifyFactor implements mfaport.Service.
func (s *Service) VerifyFactor(ctx context.Context, p sessionsport.Principal, proof mfaport.Proof) (time.Time, error) {
	now := s.now()
	_, err := s.verifyProof(ctx, p.UserID, proof, purposeStepUp, func(ctx context.Context, _ verified) error {
		return s.d.StepUps.Record(ctx, p.SessionID, p.UserID, now)
	})
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(mfaport.StepUpWindow), nil
}

// RequireRecent implements mfaport.StepUp.
func (s *Service) RequireRecent(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error {
	if passwordChecked {
		has, err := s.HasFactor(ctx, p.UserID)
		if err != nil {
			return err
		}
		if !has {
			return nil
		}
	}
	now := s.now()
	if !p.AuthTime.IsZero() && now.Sub(p.AuthTime) <= mfaport.StepUpWindow {
		return nil
	}
	last, err := s.d.StepUps.Last(ctx, p.SessionID)
	if err != nil {
		return err
	}
	if !last.IsZero() && now.Sub(last) <= mfaport.StepUpWindow {
		return nil
	}
	return mfa.ErrStepUpRequired
}

// HasFactor implements mfaport.Enrolment: a confirmed authenticator or a
// passkey is a second factor (for the organization policy, the step-up
// rules and the sign-in challenge alike).
func (s *Service) HasFactor(ctx context.Context, user shared.UserID) (bool, error) {
	totp, err := s.hasTOTP(ctx, user)
	if err != nil || totp {
		return totp, err
	}
	return s.hasPasskey(ctx, user)
}

func (s *Service) hasTOTP(ctx context.Context, user shared.UserID) (bool, error) {
	factors, err := s.d.Factors.List(ctx, user)
	if err != nil {
		return false, err
	}
	for _, f := range factors {
		if f.Confirmed() {
			return true, nil
		}
	}
	return false, nil
}

func (s *Service) hasPasskey(ctx context.Context, user shared.UserID) (bool, error) {
	if s.keys == nil {
		return false, nil
	}
	return s.keys.Has(ctx, user)
}

func (s *Service) ownFactor(ctx context.Context, user shared.UserID, id uuid.UUID) (*mfa.Factor, error) {
	f, err := s.d.Factors.Find(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.User() != user {
		return nil, mfa.ErrFactorNotFound
	}
	return f, nil
}

func factorView(f *mfa.Factor) mfaport.FactorView {
	return mfaport.FactorView{
		ID: f.ID(), Kind: f.Kind().String(), Confirmed: f.Confirmed(),
		CreatedAt: f.CreatedAt(), ConfirmedAt: f.ConfirmedAt(), LastUsedAt: f.LastUsedAt(),
	}
}
