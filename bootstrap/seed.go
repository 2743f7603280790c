package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

// seedUser is one demo account.
type seedUser struct {
	email, password, name, role string
}

// The demo data of SPEC §7: Acme Corp with an owner, an admin, two members
// (bob@acme-corp.com / UserPass123! among them) and a pending invitation.
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
	return seedData(ctx, out, a.identity, a.organizations)
}

// seedData loads the demo data through the use cases (so it is validated
// and audited like any other change). It is idempotent: accounts, the
// organization and memberships that exist are left as they are.
func seedData(ctx context.Context, out io.Writer, ids identityport.Service, orgs organizationsport.Service) error {
	ctx = shared.WithRequestMeta(ctx, shared.RequestMeta{
		RequestID: uuid.NewString(), ClientIP: "127.0.0.1", UserAgent: "authy seed",
	})
	owner, created, err := ensureUser(ctx, ids, seedOwner)
	if err != nil {
		return err
	}
	report(out, seedOwner.email, created)
	org, created, err := ensureOrganization(ctx, orgs, owner.ID)
	if err != nil {
		return err
	}
	report(out, "organization "+seedOrgName, created)
	for _, m := range seedMembers {
		u, created, err := ensureUser(ctx, ids, m)
		if err != nil {
			return err
		}
		report(out, m.email, created)
		_, err = orgs.AddMember(ctx, organizationsport.AddMemberCommand{
			Actor: owner.ID, Organization: org.ID, Email: u.Email, Role: m.role,
		})
		if err != nil && shared.KindOf(err) != shared.KindConflict {
			return fmt.Errorf("add %s to %s: %w", m.email, seedOrgName, err)
		}
		report(out, fmt.Sprintf("%s as %s of %s", m.email, m.role, seedOrgName), err == nil)
	}
	_, err = orgs.AddMember(ctx, organizationsport.AddMemberCommand{
		Actor: owner.ID, Organization: org.ID, Email: seedInvitee, Role: "member",
	})
	if err != nil && shared.KindOf(err) != shared.KindConflict {
		return fmt.Errorf("invite %s: %w", seedInvitee, err)
	}
	report(out, "pending invitation for "+seedInvitee, err == nil)
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
