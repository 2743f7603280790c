package federationapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/ports/identityport"
)

var _ identityport.EmailProofListener = (*Service)(nil)

// Why a proof of the account's address unlinks an identity, in its
// user.identity.unlinked record and the sessions it ends.
const (
	reasonEmailProven        = "email_proven"
	revokeReasonIdentityGone = "identity_unlinked"
)

// EmailProven implements identityport.EmailProofListener, inside the
// proof's transaction: every identity of the user that did not itself
// assert proof.Email verified is unlinked and audited, the sessions signed
// in through its provider end (but proof.Keep) and its login codes go, and
// every pending link flow to the user is dropped.
//
// This is what closes a pre-account hijack: whoever opened the account
// through a provider that never proved the address (Microsoft's mail,
// an OpenID Connect email_verified=false) kept a way in after the owner
// of the address proved it and started using the account. An identity
// that did vouch for the same address is the owner's and stays; one that
// vouched for another address is not proof of this one and goes (its
// owner may link it again while signed in). A link flow was started by a
// session that may be one of those ending now, so none survives.
func (s *Service) EmailProven(ctx context.Context, proof identityport.EmailProof) (identityport.ProofEffects, error) {
	var out identityport.ProofEffects
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		out = identityport.ProofEffects{}
		if _, err := s.flows.DeleteLinksTo(ctx, proof.User); err != nil {
			return err
		}
		list, err := s.identities.ListByUser(ctx, proof.User, true)
		if err != nil {
			return err
		}
		now := s.now()
		var methods []string
		for _, i := range list {
			if vouchesFor(i, proof.Email) {
				continue
			}
			if err := s.identities.Delete(ctx, i.ID()); err != nil {
				return err
			}
			if err := s.audit.Record(ctx, userEvent(actionUnlinked, proof.User.String(), map[string]any{
				"provider": i.Provider().String(), "identity_id": i.ID().String(), "reason": reasonEmailProven,
				"proof": proof.Via,
			}, now)); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			out.Unlinked = append(out.Unlinked, identityport.UnlinkedIdentity{
				Provider: i.Provider().String(), DisplayName: s.displayName(i.Provider()),
			})
			methods = append(methods, methodsOf(i.Provider())...)
		}
		if len(methods) == 0 {
			return nil
		}
		if _, err := s.codes.DeleteOf(ctx, proof.User, methods); err != nil {
			return err
		}
		n, err := s.revoker.RevokeMethodsOf(ctx, proof.User, methods, proof.Keep, revokeReasonIdentityGone)
		if err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		out.SessionsRevoked = n
		return nil
	})
	if err != nil {
		return identityport.ProofEffects{}, fmt.Errorf("email proven: %w", err)
	}
	return out, nil
}

// vouchesFor reports whether i's provider asserted email verified at its
// last sign-in (emails compare trimmed and case-insensitively, as accounts
// do).
func vouchesFor(i *federation.ExternalIdentity, email string) bool {
	return i.EmailVerified() && i.Email() != "" && strings.EqualFold(strings.TrimSpace(i.Email()), strings.TrimSpace(email))
}

// methodsOf names every session method a provider named p may have
// recorded, whatever its kind (the provider may no longer be configured).
func methodsOf(p federation.ProviderName) []string {
	return []string{federation.MethodName(federation.KindOIDC, p), federation.MethodName(federation.KindGoogle, p)}
}

func (s *Service) displayName(p federation.ProviderName) string {
	if up, ok := s.byName[p.String()]; ok && up.DisplayName() != "" {
		return up.DisplayName()
	}
	return p.String()
}
