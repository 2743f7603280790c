package passkeyapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
)

// Bounds of what a finish request carries.
const (
	maxCeremonyBytes = 128
	maxResponseBytes = 32 << 10
)

func required(field string) error {
	return shared.Invalid(passkey.CodeInvalidInput, "the request has invalid fields", map[string][]string{field: {"is required"}})
}

// checkFinish refuses a malformed finish request before any ceremony is
// spent.
func checkFinish(ceremony string, response json.RawMessage) error {
	switch {
	case ceremony == "":
		return required("ceremony")
	case len(bytes.TrimSpace(response)) == 0 || string(bytes.TrimSpace(response)) == "null":
		return required("credential")
	case bytes.TrimSpace(response)[0] != '{':
		return shared.Invalid(passkey.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"credential": {"must be a PublicKeyCredential object"}})
	case len(response) > maxResponseBytes:
		return shared.Invalid(passkey.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{"credential": {"is too large"}})
	}
	return nil
}

// begin stores a new ceremony of purpose with the relying party's state
// and returns its token with the client's options. Expired ceremonies are
// removed on the way, so the table holds at most five minutes of them.
func (s *Service) begin(ctx context.Context, purpose passkey.Purpose, user shared.UserID, options, state []byte) (passkeyport.Begun, error) {
	token, hash, err := s.d.Tokens.New()
	if err != nil {
		return passkeyport.Begun{}, fmt.Errorf("make ceremony token: %w", err)
	}
	now := s.now()
	c, err := passkey.NewCeremony(s.d.NewID(), hash, purpose, user, clientOf(ctx), state, now)
	if err != nil {
		return passkeyport.Begun{}, err
	}
	if err := s.d.Ceremonies.DeleteExpired(ctx, now); err != nil {
		return passkeyport.Begun{}, err
	}
	if err := s.d.Ceremonies.Add(ctx, c); err != nil {
		return passkeyport.Begun{}, err
	}
	return passkeyport.Begun{Ceremony: token, ExpiresAt: c.ExpiresAt(), Options: options}, nil
}

// takeCeremony spends the ceremony of token and checks it may be finished
// now for purpose by user from this client. It is gone afterwards
// whatever the response proves: a ceremony is finished once.
func (s *Service) takeCeremony(ctx context.Context, token string, purpose passkey.Purpose, user shared.UserID) (*passkey.Ceremony, error) {
	if len(token) > maxCeremonyBytes {
		return nil, passkey.ErrCeremonyInvalid
	}
	c, err := s.d.Ceremonies.Take(ctx, s.d.Tokens.Hash(token))
	if err != nil {
		return nil, err
	}
	if err := c.Admit(purpose, user, clientOf(ctx), s.now()); err != nil {
		return nil, err
	}
	return c, nil
}

// account is the user a registration is for.
func (s *Service) account(ctx context.Context, user shared.UserID) (passkeyport.Account, error) {
	users, err := s.d.Accounts.GetMany(ctx, []shared.UserID{user})
	if err != nil {
		return passkeyport.Account{}, fmt.Errorf("read account: %w", err)
	}
	u, ok := users[user]
	if !ok {
		return passkeyport.Account{}, shared.NotFound("identity.user_not_found", "user not found")
	}
	display := u.Name
	if display == "" {
		display = u.Email
	}
	return passkeyport.Account{ID: user, Name: u.Email, DisplayName: display}, nil
}

func view(c *passkey.Credential) passkeyport.PasskeyView {
	return passkeyport.PasskeyView{
		ID: c.ID(), Name: c.Name(), CreatedAt: c.CreatedAt(), LastUsedAt: c.LastUsedAt(), UserVerified: c.UserVerified(),
		BackupEligible: c.BackupEligible(), BackupState: c.BackupState(), Transports: c.Transports(),
	}
}
