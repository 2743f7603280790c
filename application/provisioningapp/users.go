package provisioningapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/provisioningport"
)

// The organizations and identity codes provisioning reacts to (their
// contexts' public API).
const (
	codeAlreadyMember     = "organizations.already_member"
	codeAlreadyInvited    = "organizations.already_invited"
	codeMemberNotFound    = "organizations.member_not_found"
	codeUserNotFound      = "identity.user_not_found"
	providerSCIM          = "scim"
	roleMember            = "member"
	sessionReasonDeprovis = "deprovisioned"
)

// How a provisioned person came to (or did not come to) the organization,
// as the audit record says.
const (
	joinMember        = "member"         // a membership was added
	joinAlreadyMember = "already_member" // they were a member already
	joinInvited       = "invited"        // a pending invitation was sent
	joinPending       = "already_invited"
	joinInactive      = "inactive" // created inactive: neither
)

// CreateUser implements provisioningport.SCIM.
func (s *Service) CreateUser(ctx context.Context, c provisioningport.Caller, attrs provisioningport.UserAttributes) (provisioningport.UserView, error) {
	attrs, err := attrs.Clean()
	if err != nil {
		return provisioningport.UserView{}, err
	}
	now := s.now()
	var u *provisioning.User
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		account, created, err := s.account(ctx, c, attrs)
		if err != nil {
			return err
		}
		if u, err = provisioning.NewUser(s.d.NewID(), c.Organization, account.ID, attrs, created, now); err != nil {
			return err
		}
		join := joinInactive
		if attrs.Active {
			if join, err = s.provision(ctx, c, u, account); err != nil {
				return err
			}
		}
		if err := s.d.Users.Add(ctx, u); err != nil {
			return err
		}
		return s.recordByToken(ctx, c, ActionUserCreated, u.ID(), account.ID, map[string]any{
			"join": join, "account_created": created, "active": attrs.Active,
		})
	})
	if err != nil {
		return provisioningport.UserView{}, err
	}
	return userView(u), nil
}

// account finds the account of attrs' address or opens one (no password;
// the address verified only when the organization verified its domain).
func (s *Service) account(ctx context.Context, c provisioningport.Caller, attrs provisioningport.UserAttributes) (identityport.UserSummary, bool, error) {
	found, err := s.d.Directory.FindByEmail(ctx, attrs.UserName)
	switch {
	case err == nil:
		return found, false, nil
	case !hasCode(err, codeUserNotFound):
		return identityport.UserSummary{}, false, fmt.Errorf("look up the account: %w", err)
	}
	verified, err := s.domainVerified(ctx, c.Organization, attrs.UserName)
	if err != nil {
		return identityport.UserSummary{}, false, err
	}
	created, err := s.d.Accounts.CreateProvisionedUser(ctx, identityport.ExternalUserCommand{
		Email: attrs.UserName, EmailVerified: verified, Name: attrs.Name(), Provider: providerSCIM,
	})
	if err != nil {
		return identityport.UserSummary{}, false, err
	}
	return created, true, nil
}

func (s *Service) domainVerified(ctx context.Context, org shared.OrganizationID, email string) (bool, error) {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return false, nil
	}
	v, err := s.d.Domains.DomainVerified(ctx, org, domain)
	if err != nil {
		return false, fmt.Errorf("check the email domain: %w", err)
	}
	return v, nil
}

// provision makes the person of u a member, or invites them. The
// membership is direct only where the organization's right to the address
// is established: an account its own provisioning opened, or an account
// that verified an address in a domain the organization verified. Any
// other existing account is someone who signed up on their own: they get
// a pending invitation, which only the verified owner of the address can
// accept (so an identity provider cannot enrol a stranger's account by
// naming its address).
func (s *Service) provision(ctx context.Context, c provisioningport.Caller, u *provisioning.User, account identityport.UserSummary) (string, error) {
	direct := u.AccountCreated()
	if !direct && account.EmailVerified {
		v, err := s.domainVerified(ctx, c.Organization, account.Email)
		if err != nil {
			return "", err
		}
		direct = v
	}
	cmd := organizationsport.ProvisionCommand{Actor: c.Owner, Organization: c.Organization, User: account.ID, Email: account.Email, Role: roleMember}
	if direct {
		err := s.d.Organizations.AddProvisionedMember(ctx, cmd)
		switch {
		case hasCode(err, codeAlreadyMember):
			return joinAlreadyMember, nil
		case err != nil:
			return "", fmt.Errorf("add the member: %w", err)
		}
		return joinMember, nil
	}
	inv, err := s.d.Organizations.InviteProvisioned(ctx, cmd)
	switch {
	case hasCode(err, codeAlreadyMember):
		return joinAlreadyMember, nil
	case hasCode(err, codeAlreadyInvited):
		return joinPending, nil
	case err != nil:
		return "", fmt.Errorf("invite the person: %w", err)
	}
	u.Invited(inv.ID)
	return joinInvited, nil
}

// deprovision ends what provision began: a pending invitation is
// cancelled and the membership removed. Only when a membership actually
// ended are the account's sessions and OAuth tokens revoked, so the
// organization's access ends at once; an identity provider naming an
// address that never joined cannot sign a stranger out.
func (s *Service) deprovision(ctx context.Context, c provisioningport.Caller, u *provisioning.User) (map[string]any, error) {
	details := map[string]any{"membership_removed": false}
	if inv := u.Invitation(); inv != uuid.Nil {
		err := s.d.Organizations.CancelProvisionedInvitation(ctx, c.Owner, c.Organization, inv)
		// Accepted, declined or expired meanwhile: nothing left to cancel.
		if err != nil && shared.KindOf(err) != shared.KindNotFound && shared.KindOf(err) != shared.KindConflict {
			return nil, fmt.Errorf("cancel the invitation: %w", err)
		}
		details["invitation_cancelled"] = err == nil
		u.InvitationClosed()
	}
	err := s.d.Organizations.RemoveProvisionedMember(ctx, c.Owner, c.Organization, u.Account())
	switch {
	case hasCode(err, codeMemberNotFound):
		return details, nil
	case err != nil:
		return nil, fmt.Errorf("remove the member: %w", err)
	}
	details["membership_removed"] = true
	sessions, err := s.d.Sessions.RevokeAllOf(ctx, u.Account(), uuid.Nil, sessionReasonDeprovis)
	if err != nil {
		return nil, fmt.Errorf("revoke sessions: %w", err)
	}
	tokens, err := s.d.OAuthTokens.RevokeUserTokens(ctx, u.Account())
	if err != nil {
		return nil, fmt.Errorf("revoke OAuth tokens: %w", err)
	}
	details["sessions_revoked"], details["oauth_tokens_revoked"] = sessions, tokens
	return details, nil
}

// GetUser implements provisioningport.SCIM.
func (s *Service) GetUser(ctx context.Context, c provisioningport.Caller, id string) (provisioningport.UserView, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return provisioningport.UserView{}, provisioning.ErrUserNotFound
	}
	u, err := s.d.Users.Get(ctx, c.Organization, uid)
	if err != nil {
		return provisioningport.UserView{}, err
	}
	return userView(u), nil
}

// ListUsers implements provisioningport.SCIM.
func (s *Service) ListUsers(ctx context.Context, c provisioningport.Caller, q provisioningport.UserQuery) (provisioningport.UserList, error) {
	f := provisioningport.UserFilter{UserName: q.UserName, ExternalID: q.ExternalID, Offset: max(q.Offset, 0), Limit: min(max(q.Limit, 0), provisioningport.MaxListCount)}
	if f.UserName != nil {
		// Compared in the spelling accounts use; an address that does not
		// parse matches nothing.
		e, reason := shared.ParseEmail(*f.UserName)
		if reason != "" {
			return provisioningport.UserList{}, nil
		}
		name := e.String()
		f.UserName = &name
	}
	list, total, err := s.d.Users.List(ctx, c.Organization, f)
	if err != nil {
		return provisioningport.UserList{}, err
	}
	out := provisioningport.UserList{Total: total, Items: make([]provisioningport.UserView, 0, len(list))}
	for _, u := range list {
		out.Items = append(out.Items, userView(u))
	}
	return out, nil
}

// ModifyUser implements provisioningport.SCIM.
func (s *Service) ModifyUser(ctx context.Context, c provisioningport.Caller, id string,
	apply func(provisioningport.UserAttributes) (provisioningport.UserAttributes, error)) (provisioningport.UserView, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return provisioningport.UserView{}, provisioning.ErrUserNotFound
	}
	now := s.now()
	var u *provisioning.User
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		var change provisioning.Change
		var before uuid.UUID
		u, err = s.d.Users.Update(ctx, c.Organization, uid, func(u *provisioning.User) error {
			attrs, err := apply(u.Attributes())
			if err != nil {
				return err
			}
			before = u.Invitation()
			change, err = u.Replace(attrs, now)
			return err
		})
		if err != nil {
			return err
		}
		if len(change.Fields) == 0 {
			return nil
		}
		if err := s.recordByToken(ctx, c, ActionUserUpdated, u.ID(), u.Account(), map[string]any{"fields": change.Fields}); err != nil {
			return err
		}
		var details map[string]any
		action := ""
		switch {
		case change.Deactivated:
			action = ActionUserDeactivated
			if details, err = s.deprovision(ctx, c, u); err != nil {
				return err
			}
		case change.Reactivated:
			action = ActionUserReactivated
			account, err := s.accountOf(ctx, u.Account())
			if err != nil {
				return err
			}
			join, err := s.provision(ctx, c, u, account)
			if err != nil {
				return err
			}
			details = map[string]any{"join": join}
		default:
			return nil
		}
		if u.Invitation() != before {
			inv := u.Invitation()
			if u, err = s.d.Users.Update(ctx, c.Organization, uid, func(x *provisioning.User) error {
				if inv == uuid.Nil {
					x.InvitationClosed()
				} else {
					x.Invited(inv)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return s.recordByToken(ctx, c, action, u.ID(), u.Account(), details)
	})
	if err != nil {
		return provisioningport.UserView{}, err
	}
	return userView(u), nil
}

func (s *Service) accountOf(ctx context.Context, id shared.UserID) (identityport.UserSummary, error) {
	m, err := s.d.Directory.GetMany(ctx, []shared.UserID{id})
	if err != nil {
		return identityport.UserSummary{}, fmt.Errorf("look up the account: %w", err)
	}
	a, ok := m[id]
	if !ok {
		return identityport.UserSummary{}, provisioning.ErrUserNotFound
	}
	return a, nil
}

// DeleteUser implements provisioningport.SCIM.
func (s *Service) DeleteUser(ctx context.Context, c provisioningport.Caller, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return provisioning.ErrUserNotFound
	}
	return s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		// Locked, so a concurrent change of the User waits for the deletion.
		u, err := s.d.Users.Update(ctx, c.Organization, uid, func(*provisioning.User) error { return nil })
		if err != nil {
			return err
		}
		details, err := s.deprovision(ctx, c, u)
		if err != nil {
			return err
		}
		if err := s.d.Users.Delete(ctx, c.Organization, uid); err != nil {
			return err
		}
		return s.recordByToken(ctx, c, ActionUserDeleted, u.ID(), u.Account(), details)
	})
}

func userView(u *provisioning.User) provisioningport.UserView {
	return provisioningport.UserView{ID: u.ID(), Attributes: u.Attributes(), Version: u.Version(), CreatedAt: u.CreatedAt(), UpdatedAt: u.UpdatedAt()}
}
