package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

var (
	errInvitationRateLimited = shared.RateLimited("organizations.invitation_rate_limited",
		"too many invitations; retry later", 0)
	errLimiterUnavailable = shared.Unavailable("organizations.rate_limiter_unavailable",
		"invitations cannot be sent right now; retry shortly")
)

// AddMember implements organizationsport.Service: it invites the address.
// The answer is the same invitation whether or not the address has an
// account; only the address of a current member is refused (409
// organizations.already_member), which tells the caller nothing the member
// list does not.
func (s *Service) AddMember(ctx context.Context, cmd organizationsport.AddMemberCommand) (organizationsport.InvitationView, error) {
	if err := s.gate(ctx, cmd.Actor, cmd.Organization); err != nil {
		return organizationsport.InvitationView{}, err
	}
	fe := shared.FieldErrors{}
	role := organizations.RoleMember
	if cmd.Role != "" {
		r, err := organizations.ParseRole(cmd.Role)
		if err != nil {
			fe.Add("role", "must be one of owner, admin, member")
		}
		role = r
	}
	email, ok := parseEmail(cmd.Email)
	if !ok {
		fe.Add("email", "must be a valid email address")
	}
	if err := fe.Err(organizations.CodeInvalid); err != nil {
		return organizationsport.InvitationView{}, err
	}
	if err := s.limitInvitations(ctx, cmd.Actor); err != nil {
		return organizationsport.InvitationView{}, err
	}
	return s.invite(ctx, cmd.Actor, cmd.Organization, email, role)
}

// invite sends the invitation of email to org with role from actor, in one
// unit of work with its audit records and its mail.
func (s *Service) invite(ctx context.Context, actor shared.UserID, org shared.OrganizationID, email string, role organizations.Role) (organizationsport.InvitationView, error) {
	// Looked up for every address, outside the transaction: the only use is
	// refusing a current member, and both outcomes cost the same query.
	holder, err := s.holder(ctx, email)
	if err != nil {
		return organizationsport.InvitationView{}, err
	}
	token, hash, err := s.tokens.New()
	if err != nil {
		return organizationsport.InvitationView{}, fmt.Errorf("make invitation token: %w", err)
	}
	now := s.now()
	n := organizations.NewInvitation{ID: s.newID(), Email: email, Role: role, TokenHash: hash, ExpiresAt: now.Add(s.ttl), Holder: holder}
	var (
		inv     organizations.Invitation
		orgName string
	)
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		// The actor, the address's account holder and the address's pending
		// invitation, plus a bounded batch of expired ones to close.
		scope := organizationsport.Scope{Users: []shared.UserID{actor, holder}, Emails: []string{email}, DueBy: now, DueLimit: expireBatch}
		if err := s.changeIn(ctx, org, scope, func(o *organizations.Organization) error {
			var err error
			inv, err = o.Invite(actor, n, now)
			orgName = o.Name()
			return err
		}); err != nil {
			return err
		}
		if s.notifier == nil {
			return nil
		}
		return s.notifier.InvitationSent(ctx, organizationsport.InvitationNotice{
			Invitation: inv.ID(), Organization: org, OrganizationName: orgName, Email: inv.Email(),
			Role: inv.Role().String(), InvitedBy: actor, ExpiresAt: inv.ExpiresAt(), Token: token,
		})
	})
	if err != nil {
		return organizationsport.InvitationView{}, err
	}
	return invitationView(org, "", inv), nil
}

// limitInvitations counts one invitation against the inviting user's and
// the client's limits. A limiter that cannot answer refuses (503): the
// limit is what keeps address probes slow.
func (s *Service) limitInvitations(ctx context.Context, actor shared.UserID) error {
	client := shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
	for _, c := range []struct {
		key   string
		limit platformport.Limit
	}{
		{"organizations:invite:user:" + actor.String(), s.limits.InvitePerUser},
		{"organizations:invite:client:" + client, s.limits.InvitePerClient},
	} {
		d, err := s.limiter.Take(ctx, c.key, c.limit)
		if err != nil {
			return errLimiterUnavailable.WithCause(err)
		}
		if !d.Allowed {
			s.meter.Add(platformport.MetricRateLimited, "invitation", 1)
			return errInvitationRateLimited.WithRetryAfter(d.RetryAfter)
		}
	}
	return nil
}

// holder returns the account registered under email, zero when there is
// none.
func (s *Service) holder(ctx context.Context, email string) (shared.UserID, error) {
	user, err := s.dir.FindByEmail(ctx, email)
	switch {
	case err == nil:
		return user.ID, nil
	case shared.KindOf(err) == shared.KindNotFound:
		return shared.UserID{}, nil
	default:
		return shared.UserID{}, fmt.Errorf("look up user by email: %w", err)
	}
}

// parseEmail is this package's one reading of an email address: the
// organizations domain's, which invitations are compared in.
func parseEmail(s string) (string, bool) {
	e, err := organizations.NormalizeEmail(s)
	return e, err == nil
}

func invitationView(org shared.OrganizationID, orgName string, i organizations.Invitation) organizationsport.InvitationView {
	return organizationsport.InvitationView{
		ID: i.ID(), OrganizationID: org, OrganizationName: orgName, Email: i.Email(), Role: i.Role().String(),
		Status: i.Status().String(), InvitedBy: i.InvitedBy(), InvitedAt: i.CreatedAt(), ExpiresAt: i.ExpiresAt(),
	}
}

func activeView(m organizations.Membership, u identityport.UserSummary) organizationsport.MemberView {
	return organizationsport.MemberView{
		Status: organizationsport.MemberStatusActive, UserID: m.User(), Email: u.Email, Name: u.Name,
		Role: m.Role().String(), JoinedAt: m.JoinedAt(),
	}
}
