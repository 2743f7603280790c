package passkeyapp

import (
	"context"
	"errors"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
)

var _ mfaport.SecurityKeys = (*Service)(nil)

// Has implements mfaport.SecurityKeys.
func (s *Service) Has(ctx context.Context, user shared.UserID) (bool, error) {
	if !s.d.RelyingParty.Enabled() {
		return false, nil
	}
	creds, err := s.d.Credentials.List(ctx, user)
	if err != nil {
		return false, err
	}
	return len(creds) > 0, nil
}

// Verify implements mfaport.SecurityKeys: the second step of a sign-in,
// answered with one of user's passkeys instead of a code. It runs in the
// login challenge's transaction, so a refusal rolls back the ceremony's
// removal with the rest; the ceremony is still bound to its client and
// expiry, and a sign-in completes once (the challenge is single use).
// The counting of failures is the challenge's.
func (s *Service) Verify(ctx context.Context, user shared.UserID, a mfaport.WebAuthnAssertion) ([]string, bool, error) {
	if !s.d.RelyingParty.Enabled() {
		return nil, false, passkey.ErrUnavailable
	}
	if err := checkFinish(a.Ceremony, a.Credential); err != nil {
		return nil, false, err
	}
	c, err := s.takeCeremony(ctx, a.Ceremony, passkey.PurposeLogin, shared.UserID{})
	if err != nil {
		return nil, false, err
	}
	login, err := s.d.RelyingParty.FinishLogin(c.State(), a.Credential, func(credentialID []byte, handle shared.UserID) (*passkey.Credential, error) {
		cred, err := s.d.Credentials.FindByCredentialID(ctx, credentialID)
		if err != nil {
			return nil, err
		}
		if cred.User() != handle || cred.User() != user {
			return nil, passkey.ErrNotFound
		}
		return cred, nil
	})
	if errors.Is(err, passkey.ErrAssertionInvalid) || errors.Is(err, passkey.ErrNotFound) {
		s.d.Log.InfoContext(ctx, "passkey second factor refused", "error", err.Error())
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	cred, as := login.Credential, login.Assertion
	err = s.d.Credentials.Update(ctx, cred.ID(), func(c *passkey.Credential) error { return c.Use(as, s.now()) })
	if errors.Is(err, passkey.ErrCloned) || errors.Is(err, passkey.ErrFlagsChanged) || errors.Is(err, passkey.ErrNotFound) {
		s.d.Log.InfoContext(ctx, "passkey second factor refused", "error", err.Error())
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := s.write(ctx, s.event(ActionUsed, user, map[string]any{
		"passkey_id": cred.ID().String(), "user_verified": as.UserVerified, "purpose": "second_factor",
	})); err != nil {
		return nil, false, err
	}
	amr := []string{"hwk"}
	if as.UserVerified {
		amr = append(amr, "user")
	}
	return amr, true, nil
}
