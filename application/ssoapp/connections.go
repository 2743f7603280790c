package ssoapp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// secretAD binds a sealed client secret to its connection.
func secretAD(id uuid.UUID) []byte { return []byte("sso-connection-secret:" + id.String()) }

// CallbackPath is where an identity provider sends the browser back for
// an OpenID Connect connection.
func CallbackPath(id uuid.UUID) string { return "/api/v1/auth/sso/" + id.String() + "/callback" }

func (s *Service) view(c *sso.Connection) ssoport.ConnectionView {
	v := ssoport.ConnectionView{
		ID: c.ID(), Organization: c.Organization(), Type: c.Kind().String(), Name: c.Name(), Domains: c.Domains(),
		DefaultRole: c.DefaultRole().String(), Enforce: c.Enforce(), Enabled: c.Enabled(), IdPEnforcesMFA: c.IdPEnforcesMFA(), Issuer: c.OIDC().Issuer, ClientID: c.OIDC().ClientID,
		SAML: s.samlView(c), CreatedAt: c.CreatedAt(), UpdatedAt: c.UpdatedAt(),
	}
	if c.Kind() == sso.KindOIDC {
		v.RedirectURI = strings.TrimRight(s.d.PublicURL, "/") + CallbackPath(c.ID())
	}
	return v
}

func (s *Service) spec(ctx context.Context, id uuid.UUID, cmd ssoport.ConnectionCommand) (sso.ConnectionSpec, error) {
	spec := sso.ConnectionSpec{
		Name: cmd.Name, Domains: cmd.Domains, DefaultRole: cmd.DefaultRole, Enforce: cmd.Enforce, Enabled: cmd.Enabled, Issuer: cmd.Issuer, ClientID: cmd.ClientID,
		AllowIdPInitiated: cmd.AllowIdPInitiated, IdPEnforcesMFA: cmd.IdPEnforcesMFA,
	}
	md, err := s.readMetadata(ctx, cmd)
	if err != nil {
		return spec, err
	}
	spec.Metadata = md
	if cmd.ClientSecret != nil {
		secret := *cmd.ClientSecret
		if secret == "" {
			empty := ""
			spec.SealedSecret = &empty
			return spec, nil
		}
		if len(secret) > sso.MaxClientSecret {
			return spec, shared.Invalid(sso.CodeInvalidInput, "invalid connection", map[string][]string{"client_secret": {"must be at most 1024 characters"}})
		}
		sealed, err := s.d.Sealer.Seal(ctx, []byte(secret), secretAD(id))
		if err != nil {
			return spec, fmt.Errorf("seal client secret: %w", err)
		}
		spec.SealedSecret = &sealed
	}
	return spec, nil
}

// checkDomains refuses a domain that is not a verified domain of org.
func (s *Service) checkDomains(ctx context.Context, org shared.OrganizationID, names []string) error {
	for _, n := range names {
		d, err := s.d.Domains.Get(ctx, org, n)
		switch {
		case errors.Is(err, sso.ErrDomainNotFound):
			return sso.ErrDomainNotVerified
		case err != nil:
			return err
		case !d.Verified():
			return sso.ErrDomainNotVerified
		}
	}
	return nil
}

// CreateConnection implements ssoport.Admin.
func (s *Service) CreateConnection(ctx context.Context, cmd ssoport.ConnectionCommand) (ssoport.ConnectionView, error) {
	if err := s.owner(ctx, cmd.Actor, cmd.Organization); err != nil {
		return ssoport.ConnectionView{}, err
	}
	kind, err := sso.ParseKind(cmd.Type)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	id := s.d.NewID()
	if kind == sso.KindSAML && s.d.CA == nil {
		return ssoport.ConnectionView{}, errNoCA
	}
	spec, err := s.spec(ctx, id, cmd)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	if kind == sso.KindSAML && spec.Metadata != nil {
		cert, err := s.issueSP(ctx, id)
		if err != nil {
			return ssoport.ConnectionView{}, err
		}
		spec.Certificate = &cert
	}
	now := s.now()
	c, err := sso.NewConnection(id, cmd.Organization, kind, spec, s.d.URLs, now)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := s.checkDomains(ctx, cmd.Organization, c.Domains()); err != nil {
			return err
		}
		if err := s.d.Connections.Add(ctx, c); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionConnectionCreated, cmd.Actor, cmd.Organization, "sso_connection", id.String(), map[string]any{
			"type": c.Kind().String(), "name": c.Name(), "domains": c.Domains(), "default_role": c.DefaultRole().String(), "enforce": c.Enforce(),
			"idp_enforces_mfa": c.IdPEnforcesMFA(),
		}, now))
	})
	if err != nil {
		return ssoport.ConnectionView{}, fmt.Errorf("create connection: %w", err)
	}
	return s.view(c), nil
}

// connection returns org's connection id after checking actor owns org.
func (s *Service) connection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (*sso.Connection, error) {
	if err := s.owner(ctx, actor, org); err != nil {
		return nil, err
	}
	c, err := s.d.Connections.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Organization() != org {
		return nil, sso.ErrConnectionNotFound
	}
	return c, nil
}

// ListConnections implements ssoport.Admin.
func (s *Service) ListConnections(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]ssoport.ConnectionView, error) {
	if err := s.owner(ctx, actor, org); err != nil {
		return nil, err
	}
	list, err := s.d.Connections.List(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	out := make([]ssoport.ConnectionView, len(list))
	for i, c := range list {
		out[i] = s.view(c)
	}
	return out, nil
}

// GetConnection implements ssoport.Admin.
func (s *Service) GetConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (ssoport.ConnectionView, error) {
	c, err := s.connection(ctx, actor, org, id)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	return s.view(c), nil
}

// UpdateConnection implements ssoport.Admin.
func (s *Service) UpdateConnection(ctx context.Context, cmd ssoport.ConnectionCommand) (ssoport.ConnectionView, error) {
	if _, err := s.connection(ctx, cmd.Actor, cmd.Organization, cmd.Connection); err != nil {
		return ssoport.ConnectionView{}, err
	}
	if cmd.Type != "" {
		return ssoport.ConnectionView{}, shared.Invalid(sso.CodeInvalidInput, "invalid connection", map[string][]string{"type": {"cannot change; create another connection"}})
	}
	spec, err := s.spec(ctx, cmd.Connection, cmd)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	var out *sso.Connection
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		var changed []string
		out, err = s.d.Connections.Update(ctx, cmd.Connection, func(c *sso.Connection) error {
			if c.Organization() != cmd.Organization {
				return sso.ErrConnectionNotFound
			}
			changed, err = c.Change(spec, s.d.URLs, now)
			return err
		})
		if err != nil {
			return err
		}
		if spec.Domains != nil {
			if err := s.checkDomains(ctx, cmd.Organization, out.Domains()); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionConnectionChanged, cmd.Actor, cmd.Organization, "sso_connection", cmd.Connection.String(),
			map[string]any{"fields": changed}, now))
	})
	if err != nil {
		return ssoport.ConnectionView{}, fmt.Errorf("update connection: %w", err)
	}
	return s.view(out), nil
}

// DeleteConnection implements ssoport.Admin.
func (s *Service) DeleteConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error {
	c, err := s.connection(ctx, actor, org, id)
	if err != nil {
		return err
	}
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Connections.Delete(ctx, id); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionConnectionDeleted, actor, org, "sso_connection", id.String(),
			map[string]any{"type": c.Kind().String(), "name": c.Name()}, s.now()))
	})
	if err != nil {
		return fmt.Errorf("delete connection: %w", err)
	}
	return nil
}
