package passkeyapp

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/sessionsport"
)

// BeginRegistration implements passkeyport.Service.
func (s *Service) BeginRegistration(ctx context.Context, p sessionsport.Principal) (passkeyport.Begun, error) {
	if !s.d.RelyingParty.Enabled() {
		return passkeyport.Begun{}, passkey.ErrUnavailable
	}
	if err := s.d.StepUp.RequireRecent(ctx, p, false); err != nil {
		return passkeyport.Begun{}, err
	}
	if d := s.take(ctx, beginsKey(clientOf(ctx)), s.d.Limits.BeginsPerClient); !d.Allowed {
		return passkeyport.Begun{}, passkey.ErrRateLimited.WithRetryAfter(d.RetryAfter)
	}
	acct, err := s.account(ctx, p.UserID)
	if err != nil {
		return passkeyport.Begun{}, err
	}
	existing, err := s.d.Credentials.List(ctx, p.UserID)
	if err != nil {
		return passkeyport.Begun{}, err
	}
	options, state, err := s.d.RelyingParty.BeginRegistration(acct, existing)
	if err != nil {
		return passkeyport.Begun{}, err
	}
	return s.begin(ctx, passkey.PurposeRegistration, p.UserID, options, state)
}

// FinishRegistration implements passkeyport.Service. The passkey and its
// audit record commit together; a response that does not verify is
// audited on its own (it changed nothing but spending the ceremony).
func (s *Service) FinishRegistration(ctx context.Context, p sessionsport.Principal, cmd passkeyport.FinishRegistrationCommand) (passkeyport.PasskeyView, error) {
	if !s.d.RelyingParty.Enabled() {
		return passkeyport.PasskeyView{}, passkey.ErrUnavailable
	}
	if err := checkFinish(cmd.Ceremony, cmd.Credential); err != nil {
		return passkeyport.PasskeyView{}, err
	}
	name := passkey.DefaultName
	if strings.TrimSpace(cmd.Name) != "" {
		n, err := passkey.CheckName(cmd.Name)
		if err != nil {
			return passkeyport.PasskeyView{}, err
		}
		name = n
	}
	c, err := s.takeCeremony(ctx, cmd.Ceremony, passkey.PurposeRegistration, p.UserID)
	if err != nil {
		return passkeyport.PasskeyView{}, err
	}
	acct, err := s.account(ctx, p.UserID)
	if err != nil {
		return passkeyport.PasskeyView{}, err
	}
	reg, err := s.d.RelyingParty.FinishRegistration(acct, c.State(), cmd.Credential)
	if err != nil {
		if errors.Is(err, passkey.ErrAttestationInvalid) {
			s.d.Log.InfoContext(ctx, "passkey registration refused", "error", err.Error())
			s.recordAttempt(ctx, s.event(ActionFailed, p.UserID, map[string]any{"purpose": "registration", "reason": "attestation"}))
		}
		return passkeyport.PasskeyView{}, err
	}
	now := s.now()
	cred, err := passkey.NewCredential(s.d.NewID(), p.UserID, reg, name, now)
	if err != nil {
		return passkeyport.PasskeyView{}, err
	}
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Credentials.Add(ctx, cred); err != nil {
			return err
		}
		return s.write(ctx, s.event(ActionRegistered, p.UserID, map[string]any{
			"passkey_id": cred.ID().String(), "name": cred.Name(), "user_verified": cred.UserVerified(),
			"backup_eligible": cred.BackupEligible(), "attestation_format": cred.AttestationFormat(),
		}))
	})
	if err != nil {
		return passkeyport.PasskeyView{}, err
	}
	return view(cred), nil
}

// List implements passkeyport.Service.
func (s *Service) List(ctx context.Context, p sessionsport.Principal) ([]passkeyport.PasskeyView, error) {
	creds, err := s.d.Credentials.List(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]passkeyport.PasskeyView, 0, len(creds))
	for _, c := range creds {
		out = append(out, view(c))
	}
	return out, nil
}

// Rename implements passkeyport.Service.
func (s *Service) Rename(ctx context.Context, p sessionsport.Principal, id uuid.UUID, name string) (passkeyport.PasskeyView, error) {
	if _, err := passkey.CheckName(name); err != nil {
		return passkeyport.PasskeyView{}, err
	}
	var out passkeyport.PasskeyView
	err := s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		var old string
		err := s.d.Credentials.Update(ctx, id, func(c *passkey.Credential) error {
			if c.User() != p.UserID {
				return passkey.ErrNotFound
			}
			old = c.Name()
			if err := c.Rename(name); err != nil {
				return err
			}
			out = view(c)
			return nil
		})
		if err != nil {
			return err
		}
		return s.write(ctx, s.event(ActionRenamed, p.UserID, map[string]any{"passkey_id": id.String(), "from": old, "to": out.Name}))
	})
	if err != nil {
		return passkeyport.PasskeyView{}, err
	}
	return out, nil
}

// Remove implements passkeyport.Service.
func (s *Service) Remove(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error {
	c, err := s.d.Credentials.Find(ctx, id)
	if err != nil {
		return err
	}
	if c.User() != p.UserID {
		return passkey.ErrNotFound
	}
	if err := s.d.StepUp.RequireRecent(ctx, p, false); err != nil {
		return err
	}
	return s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Credentials.Delete(ctx, id); err != nil {
			return err
		}
		return s.write(ctx, s.event(ActionRemoved, p.UserID, map[string]any{"passkey_id": id.String(), "name": c.Name()}))
	})
}
