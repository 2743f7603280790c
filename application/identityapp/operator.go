package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
)

var _ identityport.Operator = (*Service)(nil)

// MarkEmailVerified implements identityport.Operator. It is audited like a
// verification by link, with "by": "operator" in the details, retires the
// account's verification links and, like one, unlinks the external
// identities that never vouched for the address.
func (s *Service) MarkEmailVerified(ctx context.Context, user shared.UserID) error {
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		u, err := s.users.Update(ctx, user, func(u *identity.User) error { return u.VerifyEmail(u.Email(), now) })
		if err != nil {
			return err
		}
		ev := u.PullEvents()
		if len(ev) == 0 {
			return nil
		}
		if _, err := s.tokens.Retire(ctx, user, now, identity.PurposeVerifyEmail); err != nil {
			return fmt.Errorf("retire links: %w", err)
		}
		records := auditEvents(ev, map[string]any{"by": "operator"})
		for i := range records {
			records[i].ActorType, records[i].ActorID = auditport.ActorSystem, ""
		}
		if err := s.audit.Record(ctx, records...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		_, err = s.emailProven(ctx, identityport.EmailProof{User: user, Email: u.Email().String(), Via: proofOperator})
		return err
	})
	if err != nil {
		return fmt.Errorf("mark email verified: %w", err)
	}
	return nil
}
