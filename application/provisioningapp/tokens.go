package provisioningapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

const roleOwner = "owner"

// errOwnerRequired answers an admin or a member managing SCIM tokens: a
// token can add members, so only owners hold one.
var errOwnerRequired = shared.Forbidden("provisioning.owner_required", "only owners can manage SCIM tokens")

// authorizeOwner checks that actor owns org; a non-member gets the
// organization's NotFound.
func (s *Service) authorizeOwner(ctx context.Context, actor shared.UserID, org shared.OrganizationID) error {
	role, err := s.d.Organizations.MemberRole(ctx, org, actor)
	if err != nil {
		return err
	}
	if role != roleOwner {
		return errOwnerRequired
	}
	return nil
}

// CreateToken implements provisioningport.Tokens.
func (s *Service) CreateToken(ctx context.Context, cmd provisioningport.CreateTokenCommand) (provisioningport.CreatedToken, error) {
	if err := s.authorizeOwner(ctx, cmd.Actor, cmd.Organization); err != nil {
		return provisioningport.CreatedToken{}, err
	}
	value, hash, err := s.d.Digests.New()
	if err != nil {
		return provisioningport.CreatedToken{}, fmt.Errorf("make SCIM token: %w", err)
	}
	t, err := provisioning.NewToken(s.d.NewID(), cmd.Organization, cmd.Actor, cmd.Name, hash, s.now())
	if err != nil {
		return provisioningport.CreatedToken{}, err
	}
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		n, err := s.d.Tokens.CountLive(ctx, cmd.Organization)
		if err != nil {
			return err
		}
		if n >= provisioning.MaxLiveTokens {
			return provisioning.ErrTooManyTokens
		}
		if err := s.d.Tokens.Add(ctx, t); err != nil {
			return err
		}
		return s.recordByUser(ctx, cmd.Actor, cmd.Organization, ActionTokenCreated, t.ID(), map[string]any{"name": t.Name()})
	})
	if err != nil {
		return provisioningport.CreatedToken{}, err
	}
	return provisioningport.CreatedToken{TokenView: tokenView(t), Token: value}, nil
}

// ListTokens implements provisioningport.Tokens.
func (s *Service) ListTokens(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]provisioningport.TokenView, error) {
	if err := s.authorizeOwner(ctx, actor, org); err != nil {
		return nil, err
	}
	list, err := s.d.Tokens.List(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]provisioningport.TokenView, 0, len(list))
	for _, t := range list {
		out = append(out, tokenView(t))
	}
	return out, nil
}

// RevokeToken implements provisioningport.Tokens.
func (s *Service) RevokeToken(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error {
	if err := s.authorizeOwner(ctx, actor, org); err != nil {
		return err
	}
	now := s.now()
	return s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		var name string
		err := s.d.Tokens.Update(ctx, id, func(t *provisioning.Token) error {
			if t.Organization() != org {
				return provisioning.ErrTokenNotFound
			}
			name = t.Name()
			return t.Revoke(now)
		})
		if err != nil {
			return err
		}
		return s.recordByUser(ctx, actor, org, ActionTokenRevoked, id, map[string]any{"name": name})
	})
}

func tokenView(t *provisioning.Token) provisioningport.TokenView {
	return provisioningport.TokenView{
		ID: t.ID(), Organization: t.Organization(), Name: t.Name(), CreatedBy: t.CreatedBy(),
		CreatedAt: t.CreatedAt(), LastUsedAt: t.LastUsedAt(), RevokedAt: t.RevokedAt(),
	}
}
