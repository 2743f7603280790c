package mfaapp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/sessionsport"
)

// amrHardwareKey is the amr of a passkey's use (RFC 8176 "hwk").
const amrHardwareKey = "hwk"

// maxChallengeBytes bounds a challenge token as presented.
const maxChallengeBytes = 128

// ChallengeLogin implements identityport.SecondFactor: an account with a
// confirmed factor gets a challenge bound to this attempt (the method
// that passed, the client in ctx), stored only as its digest. The factors
// offered are the account's authenticator, its recovery codes and its
// passkeys, except a passkey after a passkey sign-in (the same possession
// twice is not a second factor); with nothing left to offer there is no
// challenge.
func (s *Service) ChallengeLogin(ctx context.Context, user shared.UserID, method sessionsport.AuthMethod) (*identityport.LoginChallenge, error) {
	totp, err := s.hasTOTP(ctx, user)
	if err != nil {
		return nil, err
	}
	var factors []string
	if totp {
		factors = append(factors, codeTOTP)
		rc, err := s.d.RecoveryCodes.Get(ctx, user)
		if err != nil {
			return nil, err
		}
		if rc != nil && rc.Remaining() > 0 {
			factors = append(factors, codeRecovery)
		}
	}
	if !slices.Contains(method.AMR(), amrHardwareKey) {
		has, err := s.hasPasskey(ctx, user)
		if err != nil {
			return nil, err
		}
		if has {
			factors = append(factors, codeWebAuthn)
		}
	}
	if len(factors) == 0 {
		return nil, nil
	}
	token, hash, err := s.d.ChallengeTokens.New()
	if err != nil {
		return nil, fmt.Errorf("make challenge: %w", err)
	}
	ch, err := mfa.NewChallenge(s.d.NewID(), user, hash, method.Name(), method.AMR(), clientOf(ctx), s.now())
	if err != nil {
		return nil, err
	}
	if err := s.d.Challenges.Add(ctx, ch); err != nil {
		return nil, err
	}
	if err := s.write(ctx, s.event(ActionChallengeIssued, user, map[string]any{
		"challenge_id": ch.ID().String(), "method": method.Name(),
	})); err != nil {
		return nil, err
	}
	return &identityport.LoginChallenge{Token: token, ExpiresAt: ch.ExpiresAt(), Factors: factors}, nil
}

// CompleteLogin implements mfaport.Service.
//
// The challenge is spent and the code checked in one transaction with the
// new session, so two instances racing with one challenge start one
// session. A wrong code rolls that back, then counts against the
// challenge (spent after mfa.MaxChallengeFailures) and the account.
func (s *Service) CompleteLogin(ctx context.Context, cmd mfaport.CompleteLoginCommand) (mfaport.LoginCompleted, error) {
	switch {
	case cmd.Challenge == "":
		return mfaport.LoginCompleted{}, shared.Invalid(mfa.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"challenge": {"is required"}})
	case len(cmd.Challenge) > maxChallengeBytes:
		return mfaport.LoginCompleted{}, mfa.ErrChallengeInvalid
	}
	if err := checkShape(cmd.Proof); err != nil {
		return mfaport.LoginCompleted{}, err
	}
	now, client := s.now(), clientOf(ctx)
	ch, err := s.d.Challenges.FindByHash(ctx, s.d.ChallengeTokens.Hash(cmd.Challenge))
	if err != nil {
		return mfaport.LoginCompleted{}, err
	}
	if err := ch.Open(client, now); err != nil {
		return mfaport.LoginCompleted{}, err
	}
	user := ch.User()
	if d := s.peek(ctx, challengeKey(ch.ID()), s.d.Limits.PerChallenge); !d.Allowed {
		return mfaport.LoginCompleted{}, mfa.ErrChallengeInvalid
	}
	if err := s.admit(ctx, user); err != nil {
		return mfaport.LoginCompleted{}, err
	}
	var out mfaport.LoginCompleted
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Challenges.Update(ctx, ch.ID(), func(c *mfa.Challenge) error { return c.Complete(client, now) }); err != nil {
			return err
		}
		// A passkey does not answer a passkey sign-in's challenge.
		if cmd.Proof.WebAuthn != nil && slices.Contains(ch.AMR(), amrHardwareKey) {
			return mfa.ErrInvalidCode
		}
		v, err := s.check(ctx, user, cmd.Proof, purposeLogin)
		if err != nil {
			return err
		}
		amr := ch.AMR()
		proved := []string{"otp", "mfa"}
		if v.kind == codeWebAuthn {
			proved = append(v.amr, "mfa")
		}
		for _, a := range proved {
			if !slices.Contains(amr, a) {
				amr = append(amr, a)
			}
		}
		// The session keeps the first factor's method name, so what ends the
		// sessions of a method (an unlinked identity's) ends these too.
		method, err := sessionsport.ParseAuthMethod(ch.Method(), amr)
		if err != nil {
			return err
		}
		issued, err := s.d.Sessions.Start(ctx, user, method)
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		details := map[string]any{"session_id": issued.Session.ID.String(), "method": method.Name(), "factor": v.kind}
		if t := sessionsport.TransportFrom(ctx); t != "" {
			details["transport"] = string(t)
		}
		if err := s.write(ctx, s.event(ActionLoginSucceeded, user, details)); err != nil {
			return err
		}
		out.Session, out.RecoveryCodesLeft = issued, v.codesLeft
		return nil
	})
	if errors.Is(err, mfa.ErrInvalidCode) {
		s.take(ctx, challengeKey(ch.ID()), s.d.Limits.PerChallenge)
		if uerr := s.d.Challenges.Update(ctx, ch.ID(), func(c *mfa.Challenge) error { c.Fail(now); return nil }); uerr != nil {
			s.d.Log.ErrorContext(ctx, "challenge failure not counted", "error", uerr.Error())
		}
		return mfaport.LoginCompleted{}, s.failed(ctx, user, purposeLogin, kindOf(cmd.Proof))
	}
	if err != nil {
		return mfaport.LoginCompleted{}, err
	}
	s.passed(ctx, user)
	out.User, err = s.d.Accounts.Me(ctx, sessionsport.Principal{
		UserID: user, SessionID: out.Session.Session.ID, ExpiresAt: out.Session.Session.ExpiresAt,
		Method: out.Session.Session.Method, AuthTime: out.Session.Session.AuthTime,
	})
	if err != nil {
		return mfaport.LoginCompleted{}, fmt.Errorf("read account: %w", err)
	}
	return out, nil
}
