package oauthapp

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

func spec(f oauthport.ClientFields) oauth.ClientSpec {
	return oauth.ClientSpec{
		Name: f.Name, RedirectURIs: f.RedirectURIs, PostLogoutRedirectURIs: f.PostLogoutRedirectURIs,
		GrantTypes: f.GrantTypes, TokenEndpointAuthMethod: f.TokenEndpointAuthMethod, Scopes: f.Scopes,
		FirstParty: f.FirstParty, AccessTokenFormat: f.AccessTokenFormat, ResourceServer: f.ResourceServer,
		IDTokenSignedResponseAlg: f.IDTokenSignedResponseAlg,
	}
}

// Create implements oauthport.Clients. A confidential client gets a secret
// of 256 random bits, returned this once.
func (s *Service) Create(ctx context.Context, cmd oauthport.CreateClientCommand) (oauthport.CreatedClient, error) {
	if err := s.authorize(ctx, cmd.Actor, cmd.Organization); err != nil {
		return oauthport.CreatedClient{}, err
	}
	id, err := newClientID()
	if err != nil {
		return oauthport.CreatedClient{}, err
	}
	var secret string
	var hash oauth.SecretHash
	if cmd.TokenEndpointAuthMethod != oauth.AuthNone.String() {
		if secret, err = newSecret(); err != nil {
			return oauthport.CreatedClient{}, err
		}
		if hash, err = s.hashGenerated(ctx, secret); err != nil {
			return oauthport.CreatedClient{}, err
		}
	}
	c, err := oauth.NewClient(id, cmd.Organization, spec(cmd.ClientFields), hash, cmd.Actor, s.d.Clock.Now())
	if err != nil {
		return oauthport.CreatedClient{}, err
	}
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Clients.Create(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, c.PullEvents())
	})
	if err != nil {
		return oauthport.CreatedClient{}, err
	}
	return oauthport.CreatedClient{ClientView: view(c), Secret: secret}, nil
}

// Get implements oauthport.Clients.
func (s *Service) Get(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) (oauthport.ClientView, error) {
	if err := s.authorize(ctx, actor, org); err != nil {
		return oauthport.ClientView{}, err
	}
	id, reason := oauth.ParseClientID(clientID)
	if reason != "" {
		return oauthport.ClientView{}, oauth.ErrClientNotFound
	}
	c, err := s.d.Clients.Get(ctx, id)
	if err != nil {
		return oauthport.ClientView{}, err
	}
	if c.Organization() != org {
		return oauthport.ClientView{}, oauth.ErrClientNotFound
	}
	return view(c), nil
}

var errInvalidCursor = shared.Invalid(oauth.CodeInvalid, "the request has invalid fields",
	map[string][]string{"cursor": {"is not a cursor issued by this list"}})

// List implements oauthport.Clients: oldest first, keyset-paginated.
func (s *Service) List(ctx context.Context, actor shared.UserID, org shared.OrganizationID, page oauthport.Page) (oauthport.ClientPage, error) {
	if err := s.authorize(ctx, actor, org); err != nil {
		return oauthport.ClientPage{}, err
	}
	limit := page.Limit
	switch {
	case limit == 0:
		limit = oauthport.DefaultPageSize
	case limit < 1:
		limit = 1
	case limit > oauthport.MaxPageSize:
		limit = oauthport.MaxPageSize
	}
	var after *oauthport.ClientKey
	if page.Cursor != "" {
		k, ok := decodeCursor(page.Cursor)
		if !ok {
			return oauthport.ClientPage{}, errInvalidCursor
		}
		after = &k
	}
	list, err := s.d.Clients.List(ctx, org, after, limit+1)
	if err != nil {
		return oauthport.ClientPage{}, err
	}
	out := oauthport.ClientPage{Limit: limit, Items: make([]oauthport.ClientView, 0, min(len(list), limit))}
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		out.NextCursor = encodeCursor(oauthport.ClientKey{CreatedAt: last.CreatedAt(), ID: last.ID().String()})
	}
	for _, c := range list {
		out.Items = append(out.Items, view(c))
	}
	return out, nil
}

// Cursors are base64url of "<RFC 3339 time>|<client id>".
func encodeCursor(k oauthport.ClientKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + k.ID))
}

func decodeCursor(s string) (oauthport.ClientKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 128 {
		return oauthport.ClientKey{}, false
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return oauthport.ClientKey{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if _, reason := oauth.ParseClientID(id); err != nil || reason != "" {
		return oauthport.ClientKey{}, false
	}
	return oauthport.ClientKey{CreatedAt: t, ID: id}, true
}

// Update implements oauthport.Clients.
func (s *Service) Update(ctx context.Context, cmd oauthport.UpdateClientCommand) (oauthport.ClientView, error) {
	if err := s.authorize(ctx, cmd.Actor, cmd.Organization); err != nil {
		return oauthport.ClientView{}, err
	}
	c, err := s.update(ctx, cmd.Organization, cmd.ClientID, func(c *oauth.Client) error {
		_, err := c.Update(cmd.Actor, oauth.ClientChanges{
			Name: cmd.Name, RedirectURIs: cmd.RedirectURIs, PostLogoutRedirectURIs: cmd.PostLogoutRedirectURIs,
			GrantTypes: cmd.GrantTypes, TokenEndpointAuthMethod: cmd.TokenEndpointAuthMethod, Scopes: cmd.Scopes,
			FirstParty: cmd.FirstParty, AccessTokenFormat: cmd.AccessTokenFormat, ResourceServer: cmd.ResourceServer,
			IDTokenSignedResponseAlg: cmd.IDTokenSignedResponseAlg,
		}, s.d.Clock.Now())
		return err
	})
	if err != nil {
		return oauthport.ClientView{}, err
	}
	return view(c), nil
}

// Delete implements oauthport.Clients: the client goes with its tokens.
func (s *Service) Delete(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) error {
	if err := s.authorize(ctx, actor, org); err != nil {
		return err
	}
	_, err := s.update(ctx, org, clientID, func(c *oauth.Client) error {
		c.Delete(actor, s.d.Clock.Now())
		return nil
	})
	return err
}

// RotateSecret implements oauthport.Clients.
func (s *Service) RotateSecret(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) (oauthport.RotatedSecret, error) {
	if err := s.authorize(ctx, actor, org); err != nil {
		return oauthport.RotatedSecret{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return oauthport.RotatedSecret{}, err
	}
	hash, err := s.hashGenerated(ctx, secret)
	if err != nil {
		return oauthport.RotatedSecret{}, err
	}
	c, err := s.update(ctx, org, clientID, func(c *oauth.Client) error {
		return c.RotateSecret(actor, hash, s.d.SecretGrace, s.d.Clock.Now())
	})
	if err != nil {
		return oauthport.RotatedSecret{}, err
	}
	out := oauthport.RotatedSecret{ClientID: c.ID().String(), Secret: secret}
	if v := view(c); v.PreviousSecretExpiresAt != nil {
		out.PreviousSecretExpiresAt = v.PreviousSecretExpiresAt
	}
	return out, nil
}

// EnsureClient implements oauthport.ClientSeeder: the secret, chosen by
// hand, is hashed with argon2id.
func (s *Service) EnsureClient(ctx context.Context, cmd oauthport.SeedClientCommand) (bool, error) {
	id, reason := oauth.ParseClientID(cmd.ClientID)
	if reason != "" {
		return false, shared.Invalid(oauth.CodeInvalid, "the request has invalid fields", map[string][]string{"client_id": {reason}})
	}
	if _, err := s.d.Clients.Get(ctx, id); err == nil {
		return false, nil
	} else if !errors.Is(err, oauth.ErrClientNotFound) {
		return false, err
	}
	var hash oauth.SecretHash
	if cmd.TokenEndpointAuthMethod != oauth.AuthNone.String() {
		if cmd.Secret == "" {
			return false, shared.Invalid(oauth.CodeInvalid, "the request has invalid fields", map[string][]string{"client_secret": {"is required"}})
		}
		h, err := s.d.Hasher.Hash(ctx, cmd.Secret)
		if err != nil {
			return false, err
		}
		hash = oauth.NewSecretHash(h)
	}
	c, err := oauth.NewClient(id, cmd.Organization, spec(cmd.ClientFields), hash, shared.UserID{}, s.d.Clock.Now())
	if err != nil {
		return false, err
	}
	err = s.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := s.d.Clients.Create(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, c.PullEvents())
	})
	if errors.Is(err, oauth.ErrClientIDTaken) {
		return false, nil // a concurrent seed made it
	}
	return err == nil, err
}
