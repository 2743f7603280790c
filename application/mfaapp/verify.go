package mfaapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/platformport"
)

// The purposes of a factor check, in audit records.
const (
	purposeLogin      = "login"
	purposeStepUp     = "step_up"
	purposeEnrolment  = "enrolment"
	purposeRemoval    = "removal"
	purposeRegenerate = "recovery_codes"
)

// The kinds of code, in audit records and challenges.
const (
	codeTOTP     = "totp"
	codeRecovery = "recovery_code"
	codeWebAuthn = "webauthn"
)

// maxCodeBytes bounds what a code check reads.
const maxCodeBytes = 64

var (
	errRateLimited = shared.RateLimited("mfa.rate_limited", "too many wrong codes; retry later", 0)
	errOneCode     = shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"totp": {"give either totp or recovery_code, not both"}})
	errOneProof = shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"webauthn": {"give one of totp, recovery_code or webauthn"}})
	errCodeRequired = shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"totp": {"is required (or recovery_code)"}})
	errCodeTooLong = shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"code": {"is too long"}})
)

// verified is a code that passed.
type verified struct {
	kind      string
	factor    uuid.UUID
	codesLeft *int
	// amr is what a passkey proved.
	amr []string
}

func accountClientKey(u shared.UserID, client string) string {
	return "mfa:account-client:" + u.String() + ":" + client
}
func accountKey(u shared.UserID) string      { return "mfa:account:" + u.String() }
func challengeKey(id uuid.UUID) string       { return "mfa:challenge:" + id.String() }
func knownClientsSet(u shared.UserID) string { return "mfa:known:" + u.String() }

func checkShape(p mfaport.Proof) error {
	switch {
	case p.WebAuthn != nil && (p.TOTP != "" || p.RecoveryCode != ""):
		return errOneProof
	case p.WebAuthn != nil:
		return nil
	case p.TOTP != "" && p.RecoveryCode != "":
		return errOneCode
	case p.Empty():
		return errCodeRequired
	case len(p.TOTP) > maxCodeBytes || len(p.RecoveryCode) > maxCodeBytes:
		return errCodeTooLong
	}
	return nil
}

// admit checks the account's limits before a code is checked: a refused
// attempt checks nothing.
func (s *Service) admit(ctx context.Context, user shared.UserID) error {
	client := clientOf(ctx)
	if d := s.peek(ctx, accountClientKey(user, client), s.d.Limits.PerAccountClient); !d.Allowed {
		return errRateLimited.WithRetryAfter(d.RetryAfter)
	}
	if d := s.peek(ctx, accountKey(user), s.d.Limits.PerAccount); !d.Allowed && !s.known(ctx, user, client) {
		return errRateLimited.WithRetryAfter(d.RetryAfter)
	}
	return nil
}

// failed counts a wrong code against the account's limits, records it in
// its own transaction (the attempt changed nothing) and answers
// mfa.ErrInvalidCode.
func (s *Service) failed(ctx context.Context, user shared.UserID, purpose, kind string) error {
	client := clientOf(ctx)
	s.take(ctx, accountClientKey(user, client), s.d.Limits.PerAccountClient)
	s.take(ctx, accountKey(user), s.d.Limits.PerAccount)
	s.recordAttempt(ctx, s.event(ActionFactorFailed, user, map[string]any{"purpose": purpose, "kind": kind}))
	return mfa.ErrInvalidCode
}

// passed forgives the client its wrong codes for the account and
// remembers it as known to the account.
func (s *Service) passed(ctx context.Context, user shared.UserID) {
	client := clientOf(ctx)
	if err := s.d.Limiter.Reset(ctx, accountClientKey(user, client)); err != nil {
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; failure count not cleared", "error", err.Error())
	}
	if err := s.d.KnownClients.Add(ctx, knownClientsSet(user), client, s.d.Limits.KnownClientTTL, knownClientsKept); err != nil {
		s.d.Log.WarnContext(ctx, "known clients unavailable; client not remembered", "error", err.Error())
	}
}

func (s *Service) known(ctx context.Context, user shared.UserID, client string) bool {
	ok, err := s.d.KnownClients.Has(ctx, knownClientsSet(user), client)
	if err != nil {
		s.d.Log.WarnContext(ctx, "known clients unavailable; admitting", "error", err.Error())
		return true
	}
	return ok
}

// take and peek admit when the limiter cannot answer: the shared store
// being down slows defences, it must not stop sign-in.
func (s *Service) take(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.d.Limiter.Take(ctx, key, l)
	if err != nil {
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

func (s *Service) peek(ctx context.Context, key string, l platformport.Limit) platformport.Decision {
	d, err := s.d.Limiter.Peek(ctx, key, l)
	if err != nil {
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

func kindOf(p mfaport.Proof) string {
	if p.WebAuthn != nil {
		return codeWebAuthn
	}
	if p.RecoveryCode != "" {
		return codeRecovery
	}
	return codeTOTP
}

// check verifies proof against user's confirmed factors in the transaction
// ctx carries, spending what it used (the TOTP time step, the recovery
// code) and recording the success; a code that does not verify is
// mfa.ErrInvalidCode and must roll the transaction back.
func (s *Service) check(ctx context.Context, user shared.UserID, p mfaport.Proof, purpose string) (verified, error) {
	now := s.now()
	if p.WebAuthn != nil {
		return s.checkWebAuthn(ctx, user, *p.WebAuthn, purpose)
	}
	factors, err := s.d.Factors.List(ctx, user)
	if err != nil {
		return verified{}, err
	}
	var confirmed []*mfa.Factor
	for _, f := range factors {
		if f.Confirmed() {
			confirmed = append(confirmed, f)
		}
	}
	if len(confirmed) == 0 {
		return verified{}, mfa.ErrInvalidCode
	}
	var v verified
	if p.TOTP != "" {
		v, err = s.checkTOTP(ctx, confirmed, p.TOTP)
	} else {
		v, err = s.checkRecovery(ctx, user, p.RecoveryCode)
	}
	if err != nil {
		return verified{}, err
	}
	details := map[string]any{"purpose": purpose, "kind": v.kind}
	if v.factor != uuid.Nil {
		details["factor_id"] = v.factor.String()
	}
	events := []eventSpec{{ActionFactorVerified, details}}
	if v.codesLeft != nil {
		events = append(events, eventSpec{ActionRecoveryCodeUsed, map[string]any{"purpose": purpose, "codes_left": *v.codesLeft}})
		if err := s.mailRecoveryUse(ctx, user, *v.codesLeft, now); err != nil {
			return verified{}, err
		}
	}
	for _, e := range events {
		if err := s.write(ctx, s.event(e.action, user, e.details)); err != nil {
			return verified{}, err
		}
	}
	return v, nil
}

// checkWebAuthn asks the passkey context to verify an assertion of one of
// user's passkeys in this transaction.
func (s *Service) checkWebAuthn(ctx context.Context, user shared.UserID, a mfaport.WebAuthnAssertion, purpose string) (verified, error) {
	if s.keys == nil {
		return verified{}, mfa.ErrInvalidCode
	}
	amr, ok, err := s.keys.Verify(ctx, user, a)
	if err != nil {
		return verified{}, err
	}
	if !ok {
		return verified{}, mfa.ErrInvalidCode
	}
	if err := s.write(ctx, s.event(ActionFactorVerified, user, map[string]any{"purpose": purpose, "kind": codeWebAuthn})); err != nil {
		return verified{}, err
	}
	return verified{kind: codeWebAuthn, amr: amr}, nil
}

type eventSpec struct {
	action  string
	details map[string]any
}

func (s *Service) checkTOTP(ctx context.Context, factors []*mfa.Factor, code string) (verified, error) {
	now := s.now()
	for _, f := range factors {
		if f.Kind() != mfa.KindTOTP {
			continue
		}
		secret, err := s.open(ctx, f)
		if err != nil {
			return verified{}, err
		}
		step, ok := s.d.TOTP.Match(secret, code, now)
		if !ok {
			continue
		}
		if err := s.d.Factors.Update(ctx, f.ID(), func(x *mfa.Factor) error { return x.Use(step, now) }); err != nil {
			return verified{}, err
		}
		return verified{kind: codeTOTP, factor: f.ID()}, nil
	}
	return verified{}, mfa.ErrInvalidCode
}

func (s *Service) checkRecovery(ctx context.Context, user shared.UserID, code string) (verified, error) {
	now := s.now()
	left := -1
	err := s.d.RecoveryCodes.Update(ctx, user, func(rc *mfa.RecoveryCodes) error {
		if rc == nil {
			return mfa.ErrInvalidCode
		}
		for i, d := range rc.Unused() {
			if s.d.Digests.Match(code, d) {
				if err := rc.Use(i, now); err != nil {
					return err
				}
				left = rc.Remaining()
				return nil
			}
		}
		return mfa.ErrInvalidCode
	})
	if err != nil {
		return verified{}, err
	}
	return verified{kind: codeRecovery, codesLeft: &left}, nil
}

// mailRecoveryUse tells the owner a recovery code was used, through the
// outbox in the use's transaction.
func (s *Service) mailRecoveryUse(ctx context.Context, user shared.UserID, left int, now time.Time) error {
	users, err := s.d.Directory.GetMany(ctx, []shared.UserID{user})
	if err != nil {
		return fmt.Errorf("look up account: %w", err)
	}
	u, ok := users[user]
	if !ok {
		return mfa.ErrInvalidCode
	}
	to, reason := shared.ParseEmail(u.Email)
	if reason != "" {
		return fmt.Errorf("account address: %s", reason)
	}
	if _, err := s.d.Mail.Enqueue(ctx, mailport.Mail{To: to, Data: &mailport.RecoveryCodeUsed{Name: u.Name, UsedAt: now, CodesLeft: left}}); err != nil {
		return fmt.Errorf("queue recovery code notice: %w", err)
	}
	return nil
}

// verifyProof runs a code check in its own unit of work with then (the
// change the code authorises), counting a wrong code after the rollback.
func (s *Service) verifyProof(ctx context.Context, user shared.UserID, p mfaport.Proof, purpose string, then func(ctx context.Context, v verified) error) (verified, error) {
	if err := checkShape(p); err != nil {
		return verified{}, err
	}
	if err := s.admit(ctx, user); err != nil {
		return verified{}, err
	}
	var v verified
	err := s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		var err error
		if v, err = s.check(ctx, user, p, purpose); err != nil {
			return err
		}
		return then(ctx, v)
	})
	if errors.Is(err, mfa.ErrInvalidCode) {
		return verified{}, s.failed(ctx, user, purpose, kindOf(p))
	}
	if err != nil {
		return verified{}, err
	}
	s.passed(ctx, user)
	return v, nil
}

func (s *Service) open(ctx context.Context, f *mfa.Factor) (string, error) {
	b, err := s.d.Sealer.Open(ctx, f.Secret().String(), secretAD(f.ID()))
	if err != nil {
		return "", fmt.Errorf("open factor secret: %w", err)
	}
	return string(b), nil
}

// secretAD binds a sealed secret to its factor: a sealed value copied to
// another row does not open.
func secretAD(id uuid.UUID) []byte { return []byte("mfa-totp:" + id.String()) }
