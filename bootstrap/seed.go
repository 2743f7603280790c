package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

// seedUser is one demo account.
type seedUser struct {
	email, password, name, role string
}

// The demo data of SPEC §7: Acme Corp with an owner, an admin, two members
// (bob@acme-corp.com / UserPass123! among them, each invited and accepted)
// and a pending invitation.
var (
	seedOrgName = "Acme Corp"
	seedOrgSlug = "acme-corp"
	seedOwner   = seedUser{"alice@acme-corp.com", "OwnerPass123!", "Alice Owner", "owner"}
	seedMembers = []seedUser{
		{"bob@acme-corp.com", "UserPass123!", "Bob Builder", "member"},
		{"carol@acme-corp.com", "AdminPass123!", "Carol Admin", "admin"},
		{"dave@acme-corp.com", "DavePass123!", "Dave Member", "member"},
	}
	seedInvitee = "erin@acme-corp.com"
)

// Seed loads the demo data (see seedData).
func (a *App) Seed(ctx context.Context, out io.Writer) error {
	if err := seedData(ctx, out, a.identity, a.organizations); err != nil {
		return err
	}
	return a.seedOAuthClient(ctx, out)
}

// seedData loads the demo data through the use cases (so it is validated
// and audited like any other change). It is idempotent: accounts, the
// organization, memberships and the pending invitation that exist are left
// as they are (an expired invitation is sent again), and a second run sends
// no invitation, so it does not spend the invitation rate limit.
func seedData(ctx context.Context, out io.Writer, ids identityport.Service, orgs organizationsport.Service) error {
	ctx = shared.WithRequestMeta(ctx, shared.RequestMeta{
		RequestID: uuid.NewString(), ClientIP: "127.0.0.1", UserAgent: "authy seed",
	})
	owner, created, err := ensureUser(ctx, ids, seedOwner)
	if err != nil {
		return err
	}
	if err := vouchFor(ctx, ids, owner.ID); err != nil {
		return err
	}
	report(out, seedOwner.email, created)
	org, created, err := ensureOrganization(ctx, orgs, owner.ID)
	if err != nil {
		return err
	}
	report(out, "organization "+seedOrgName, created)
	members, err := memberEmails(ctx, orgs, owner.ID, org.ID)
	if err != nil {
		return err
	}
	for _, m := range seedMembers {
		u, created, err := ensureUser(ctx, ids, m)
		if err != nil {
			return err
		}
		if err := vouchFor(ctx, ids, u.ID); err != nil {
			return err
		}
		report(out, m.email, created)
		joined := false
		if !members[u.Email] {
			if joined, err = ensureMember(ctx, orgs, owner.ID, org.ID, u, m.role); err != nil {
				return fmt.Errorf("add %s to %s: %w", m.email, seedOrgName, err)
			}
		}
		report(out, fmt.Sprintf("%s as %s of %s", m.email, m.role, seedOrgName), joined)
	}
	invited, err := pendingInvitation(ctx, orgs, owner.ID, org.ID, seedInvitee)
	if err != nil {
		return err
	}
	if !invited {
		_, err = orgs.AddMember(ctx, organizationsport.AddMemberCommand{
			Actor: owner.ID, Organization: org.ID, Email: seedInvitee, Role: "member",
		})
		if err != nil {
			return fmt.Errorf("invite %s: %w", seedInvitee, err)
		}
	}
	report(out, "pending invitation for "+seedInvitee, !invited)
	return nil
}

// ensureMember makes u a member the way anyone joins: the owner invites,
// u accepts. An invitation left pending by an interrupted run is accepted.
func ensureMember(ctx context.Context, orgs organizationsport.Service, owner shared.UserID, org shared.OrganizationID,
	u identityport.UserSummary, role string) (bool, error) {
	inv, err := orgs.AddMember(ctx, organizationsport.AddMemberCommand{Actor: owner, Organization: org, Email: u.Email, Role: role})
	switch {
	case err == nil:
	case errors.Is(err, organizations.ErrAlreadyMember):
		return false, nil
	case errors.Is(err, organizations.ErrAlreadyInvited):
		if inv, err = invitationOf(ctx, orgs, u.ID, org); err != nil {
			return false, err
		}
	default:
		return false, err
	}
	if _, err := orgs.AcceptInvitation(ctx, u.ID, inv.ID); err != nil {
		return false, fmt.Errorf("accept the invitation: %w", err)
	}
	return true, nil
}

// invitationOf finds user's pending invitation to org.
func invitationOf(ctx context.Context, orgs organizationsport.Service, user shared.UserID, org shared.OrganizationID) (organizationsport.InvitationView, error) {
	page := organizationsport.Page{Limit: organizationsport.MaxPageLimit}
	for {
		mine, err := orgs.ListMyInvitations(ctx, user, page)
		if err != nil {
			return organizationsport.InvitationView{}, fmt.Errorf("list invitations: %w", err)
		}
		for _, v := range mine.Items {
			if v.OrganizationID == org {
				return v, nil
			}
		}
		if mine.NextCursor == "" {
			return organizationsport.InvitationView{}, errors.New("the pending invitation is not in the invitee's list")
		}
		page.Cursor = mine.NextCursor
	}
}

// memberEmails returns the addresses of org's members.
func memberEmails(ctx context.Context, orgs organizationsport.Service, actor shared.UserID, org shared.OrganizationID) (map[string]bool, error) {
	out := map[string]bool{}
	page := organizationsport.Page{Limit: organizationsport.MaxPageLimit}
	for {
		res, err := orgs.ListMembers(ctx, actor, org, page)
		if err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		for _, m := range res.Items {
			out[m.Email] = true
		}
		if res.NextCursor == "" {
			return out, nil
		}
		page.Cursor = res.NextCursor
	}
}

// pendingInvitation reports whether org has a pending invitation of email.
func pendingInvitation(ctx context.Context, orgs organizationsport.Service, actor shared.UserID, org shared.OrganizationID, email string) (bool, error) {
	page := organizationsport.Page{Limit: organizationsport.MaxPageLimit}
	for {
		res, err := orgs.ListInvitations(ctx, actor, org, page)
		if err != nil {
			return false, fmt.Errorf("list invitations: %w", err)
		}
		for _, v := range res.Items {
			if v.Email == email {
				return true, nil
			}
		}
		if res.NextCursor == "" {
			return false, nil
		}
		page.Cursor = res.NextCursor
	}
}

// vouchFor marks a demo account's email verified: nobody reads the demo
// mailboxes, and accepting an invitation needs a verified address. The
// identity service is also its Operator.
func vouchFor(ctx context.Context, ids identityport.Service, user shared.UserID) error {
	op, ok := ids.(identityport.Operator)
	if !ok {
		return errors.New("seed: the identity service cannot mark demo addresses verified")
	}
	if err := op.MarkEmailVerified(ctx, user); err != nil {
		return fmt.Errorf("verify the demo address: %w", err)
	}
	return nil
}

func ensureUser(ctx context.Context, ids identityport.Service, u seedUser) (identityport.UserSummary, bool, error) {
	if found, err := ids.FindByEmail(ctx, u.email); err == nil {
		return found, false, nil
	} else if shared.KindOf(err) != shared.KindNotFound {
		return identityport.UserSummary{}, false, fmt.Errorf("look up %s: %w", u.email, err)
	}
	v, err := ids.Register(ctx, identityport.RegisterCommand{Email: u.email, Password: u.password, Name: u.name})
	if err != nil {
		return identityport.UserSummary{}, false, fmt.Errorf("register %s: %w", u.email, err)
	}
	// A first sign-in gives the demo audit trail a login to show.
	if _, err := ids.Login(ctx, identityport.LoginCommand{Email: u.email, Password: u.password}); err != nil {
		return identityport.UserSummary{}, false, fmt.Errorf("sign in %s: %w", u.email, err)
	}
	return identityport.UserSummary{ID: v.ID, Email: v.Email, Name: v.Name}, true, nil
}

func ensureOrganization(ctx context.Context, orgs organizationsport.Service, owner shared.UserID) (organizationsport.OrganizationView, bool, error) {
	page := organizationsport.Page{Limit: 100}
	for {
		mine, err := orgs.ListMine(ctx, owner, page)
		if err != nil {
			return organizationsport.OrganizationView{}, false, fmt.Errorf("list organizations: %w", err)
		}
		for _, o := range mine.Items {
			if o.Slug == seedOrgSlug {
				return o, false, nil
			}
		}
		if mine.NextCursor == "" {
			break
		}
		page.Cursor = mine.NextCursor
	}
	slug := seedOrgSlug
	o, err := orgs.Create(ctx, organizationsport.CreateCommand{Actor: owner, Name: seedOrgName, Slug: &slug})
	if err != nil {
		if shared.KindOf(err) == shared.KindConflict {
			return o, false, errors.New("the slug acme-corp belongs to an organization the seed owner is not in; remove it or seed another database")
		}
		return o, false, fmt.Errorf("create %s: %w", seedOrgName, err)
	}
	return o, true, nil
}

func report(out io.Writer, what string, created bool) {
	state := "exists"
	if created {
		state = "created"
	}
	fmt.Fprintf(out, "%-8s %s\n", state, what)
}
