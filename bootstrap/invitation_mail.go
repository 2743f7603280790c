package bootstrap

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/organizationsport"
)

// invitationMailer is the organizations context's InvitationNotifier in a
// running server: it queues the invitation mail (the accept link carries
// the token) in the mail outbox, inside the transaction that stores the
// invitation, so the invitation and its mail commit together or not at
// all. The token travels only in the sealed mail data, never in a log.
type invitationMailer struct {
	mail      mailport.Enqueuer
	directory identityport.Directory
}

// InvitationSent implements organizationsport.InvitationNotifier.
func (m invitationMailer) InvitationSent(ctx context.Context, n organizationsport.InvitationNotice) error {
	to, reason := shared.ParseEmail(n.Email)
	if reason != "" {
		return fmt.Errorf("invitation mail: recipient: %s", reason)
	}
	data := &mailport.Invitation{
		OrganizationName: n.OrganizationName,
		Role:             n.Role,
		Token:            n.Token,
		ExpiresAt:        n.ExpiresAt,
	}
	if !n.InvitedBy.IsZero() {
		inviters, err := m.directory.GetMany(ctx, []shared.UserID{n.InvitedBy})
		if err != nil {
			return fmt.Errorf("invitation mail: inviter: %w", err)
		}
		data.InviterName = inviters[n.InvitedBy].Name
	}
	_, err := m.mail.Enqueue(ctx, mailport.Mail{
		To:           to,
		Data:         data,
		Key:          "invitation:" + n.Invitation.String(),
		DiscardAfter: n.ExpiresAt,
	})
	if err != nil {
		return fmt.Errorf("invitation mail: %w", err)
	}
	return nil
}
