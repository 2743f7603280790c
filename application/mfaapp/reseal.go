package mfaapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
)

// Resealer re-encrypts a sealed value under the current key
// (platformport.Keyring's Reseal).
type Resealer interface {
	Reseal(ctx context.Context, sealed string, associatedData []byte) (string, bool, error)
}

// resealPage is how many factors one pass of ResealSecrets reads at once.
const resealPage = 200

// ResealSecrets re-encrypts every stored TOTP secret not sealed with the
// keyring's current key (step 3 of an ENCRYPTION_KEY rotation, with the
// OpenID Provider's keys), and returns how many it re-encrypted. A secret
// another instance resealed meanwhile is left as that one wrote it. Safe to
// run again.
func (s *Service) ResealSecrets(ctx context.Context, k Resealer) (int, error) {
	n := 0
	after := uuid.Nil
	for {
		page, err := s.d.Factors.Page(ctx, after, resealPage)
		if err != nil {
			return n, err
		}
		for _, f := range page {
			after = f.ID()
			text, changed, err := k.Reseal(ctx, f.Secret().String(), secretAD(f.ID()))
			if err != nil {
				return n, fmt.Errorf("reseal factor %s: %w", f.ID(), err)
			}
			if !changed {
				continue
			}
			to, err := mfa.NewSealedSecret(text)
			if err != nil {
				return n, err
			}
			ok, err := s.d.Factors.ReplaceSecret(ctx, f.ID(), f.Secret(), to)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		if len(page) < resealPage {
			return n, nil
		}
	}
}
