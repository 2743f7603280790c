package passkeyapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/sessionsport"
)

// MethodName names a passwordless sign-in's session method.
const MethodName = "passkey"

// BeginLogin implements passkeyport.Service.
func (s *Service) BeginLogin(ctx context.Context) (passkeyport.Begun, error) {
	if !s.d.RelyingParty.Enabled() {
		return passkeyport.Begun{}, passkey.ErrUnavailable
	}
	client := clientOf(ctx)
	if d := s.peek(ctx, failuresKey(client), s.d.Limits.FailuresPerClient); !d.Allowed {
		return passkeyport.Begun{}, passkey.ErrRateLimited.WithRetryAfter(d.RetryAfter)
	}
	if d := s.take(ctx, beginsKey(client), s.d.Limits.BeginsPerClient); !d.Allowed {
		return passkeyport.Begun{}, passkey.ErrRateLimited.WithRetryAfter(d.RetryAfter)
	}
	options, state, err := s.d.RelyingParty.BeginLogin()
	if err != nil {
		return passkeyport.Begun{}, err
	}
	return s.begin(ctx, passkey.PurposeLogin, shared.UserID{}, options, state)
}

// amrOf is a passkey sign-in's amr: hardware-bound key, and when the
// authenticator verified its user (PIN, biometrics) that too, which makes
// it multi-factor on its own.
func amrOf(a passkey.Assertion) []string {
	if a.UserVerified {
		return []string{"hwk", "user", "mfa"}
	}
	return []string{"hwk"}
}

// FinishLogin implements passkeyport.Service.
//
// The counter moves forward under the credential's row lock in the
// transaction that starts the session, so of two instances racing with
// one assertion one starts a session and the other sees the counter
// already there (refused like a clone). Every refusal counts against the
// client and is audited (with the reason, which the answer never tells).
func (s *Service) FinishLogin(ctx context.Context, cmd passkeyport.FinishLoginCommand) (passkeyport.LoginCompleted, error) {
	if !s.d.RelyingParty.Enabled() {
		return passkeyport.LoginCompleted{}, passkey.ErrUnavailable
	}
	if err := checkFinish(cmd.Ceremony, cmd.Credential); err != nil {
		return passkeyport.LoginCompleted{}, err
	}
	client := clientOf(ctx)
	if d := s.peek(ctx, failuresKey(client), s.d.Limits.FailuresPerClient); !d.Allowed {
		return passkeyport.LoginCompleted{}, passkey.ErrRateLimited.WithRetryAfter(d.RetryAfter)
	}
	c, err := s.takeCeremony(ctx, cmd.Ceremony, passkey.PurposeLogin, shared.UserID{})
	if err != nil {
		if errors.Is(err, passkey.ErrCeremonyInvalid) {
			s.failed(ctx, shared.UserID{}, "", "ceremony")
		}
		return passkeyport.LoginCompleted{}, err
	}
	var claimed *passkey.Credential
	login, err := s.d.RelyingParty.FinishLogin(c.State(), cmd.Credential, func(credentialID []byte, user shared.UserID) (*passkey.Credential, error) {
		cred, err := s.d.Credentials.FindByCredentialID(ctx, credentialID)
		if err != nil {
			return nil, err
		}
		// The user handle the authenticator returned must be the
		// credential's owner: a credential is never someone else's key.
		if cred.User() != user {
			return nil, passkey.ErrNotFound
		}
		claimed = cred
		return cred, nil
	})
	if err != nil {
		if errors.Is(err, passkey.ErrAssertionInvalid) || errors.Is(err, passkey.ErrNotFound) {
			user, id := shared.UserID{}, ""
			if claimed != nil {
				user, id = claimed.User(), claimed.ID().String()
			}
			s.d.Log.InfoContext(ctx, "passkey sign-in refused", "error", err.Error())
			s.failed(ctx, user, id, "assertion")
			return passkeyport.LoginCompleted{}, passkey.ErrAssertionInvalid
		}
		return passkeyport.LoginCompleted{}, err
	}
	cred, a := login.Credential, login.Assertion
	user, now := cred.User(), s.now()
	if s.gate != nil {
		acct, err := s.account(ctx, user)
		if err != nil {
			return passkeyport.LoginCompleted{}, err
		}
		if err := s.gate.Check(ctx, acct.Name, gateVia); err != nil {
			return passkeyport.LoginCompleted{}, err
		}
	}
	method, err := sessionsport.ParseAuthMethod(MethodName, amrOf(a))
	if err != nil {
		return passkeyport.LoginCompleted{}, err
	}
	var out passkeyport.LoginCompleted
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Credentials.Update(ctx, cred.ID(), func(c *passkey.Credential) error { return c.Use(a, now) }); err != nil {
			return err
		}
		used := map[string]any{"passkey_id": cred.ID().String(), "user_verified": a.UserVerified, "backup_state": a.BackupState}
		// A key without user verification is one factor: an account with
		// another factor still answers that factor's challenge.
		if !a.UserVerified && s.d.SecondFactor != nil {
			ch, err := s.d.SecondFactor.ChallengeLogin(ctx, user, method)
			if err != nil {
				return err
			}
			if ch != nil {
				used["second_factor_required"] = true
				out.MFA = ch
				return s.write(ctx, s.event(ActionUsed, user, used))
			}
		}
		issued, err := s.d.Sessions.Start(ctx, user, method)
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		used["session_id"] = issued.Session.ID.String()
		if err := s.write(ctx, s.event(ActionUsed, user, used)); err != nil {
			return err
		}
		details := map[string]any{"session_id": issued.Session.ID.String(), "method": method.Name()}
		if t := sessionsport.TransportFrom(ctx); t != "" {
			details["transport"] = string(t)
		}
		if err := s.write(ctx, s.event(ActionLoginSucceeded, user, details)); err != nil {
			return err
		}
		out.Session = issued
		return nil
	})
	switch {
	case errors.Is(err, passkey.ErrCloned):
		s.failed(ctx, user, cred.ID().String(), "counter_regression")
		return passkeyport.LoginCompleted{}, passkey.ErrAssertionInvalid
	case errors.Is(err, passkey.ErrFlagsChanged):
		s.failed(ctx, user, cred.ID().String(), "backup_flags")
		return passkeyport.LoginCompleted{}, passkey.ErrAssertionInvalid
	case errors.Is(err, passkey.ErrNotFound):
		// Removed between the check and the update.
		s.failed(ctx, user, cred.ID().String(), "assertion")
		return passkeyport.LoginCompleted{}, passkey.ErrAssertionInvalid
	case err != nil:
		return passkeyport.LoginCompleted{}, err
	}
	if out.MFA != nil {
		return out, nil
	}
	sv := out.Session.Session
	out.User, err = s.d.Accounts.Me(ctx, sessionsport.Principal{
		UserID: user, SessionID: sv.ID, ExpiresAt: sv.ExpiresAt, Method: sv.Method, AuthTime: sv.AuthTime,
	})
	if err != nil {
		return passkeyport.LoginCompleted{}, fmt.Errorf("read account: %w", err)
	}
	return out, nil
}

// failed counts a refused sign-in against the client and records it in
// its own transaction (the attempt changed nothing but spending its
// ceremony). user and passkeyID are set when the assertion named a
// stored credential.
func (s *Service) failed(ctx context.Context, user shared.UserID, passkeyID, reason string) {
	s.take(ctx, failuresKey(clientOf(ctx)), s.d.Limits.FailuresPerClient)
	details := map[string]any{"purpose": "login", "reason": reason}
	if passkeyID != "" {
		details["passkey_id"] = passkeyID
	}
	s.recordAttempt(ctx, s.event(ActionFailed, user, details))
}
