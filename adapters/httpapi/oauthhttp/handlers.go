// Package oauthhttp is the inbound HTTP adapter of the oauth context, the
// OpenID Provider: the clients admin API under /api/v1 (the envelope, with
// its OpenAPI fragment) and the protocol endpoints at the root (discovery,
// JWKS, token, introspection, revocation), which answer in the RFCs'
// formats.
//
// The admin handlers decode, call one oauthport.Clients method and map the
// result; every rule is the domain's. The protocol endpoints run the OAuth
// 2.0 library (ory/fosite) through httpapi's net/http bridge, so its
// storage calls carry the request's context (deadline, request metadata,
// transaction). It imports Fiber, httpapi, the protocol library and ports,
// never application/.
package oauthhttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct {
	svc oauthport.Clients
}

// Register mounts the clients admin API on r (the /api/v1 group). Rotating
// a secret needs a recent sign-in or factor check (stepUp).
func Register(r fiber.Router, svc oauthport.Clients, auth sessionsport.Authenticator, stepUp httpapi.StepUp) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/organizations/:id/oauth-clients", authed, h.create)
	r.Get("/organizations/:id/oauth-clients", authed, h.list)
	r.Get("/organizations/:id/oauth-clients/:clientId", authed, h.get)
	r.Patch("/organizations/:id/oauth-clients/:clientId", authed, h.update)
	r.Delete("/organizations/:id/oauth-clients/:clientId", authed, h.delete)
	r.Post("/organizations/:id/oauth-clients/:clientId/secret", authed, httpapi.RequireRecentSignIn(stepUp), h.rotateSecret)
}

type createRequest struct {
	Name                     string   `json:"name"`
	RedirectURIs             []string `json:"redirect_uris"`
	PostLogoutRedirectURIs   []string `json:"post_logout_redirect_uris"`
	GrantTypes               []string `json:"grant_types"`
	TokenEndpointAuthMethod  string   `json:"token_endpoint_auth_method"`
	Scopes                   []string `json:"scopes"`
	FirstParty               bool     `json:"first_party"`
	AccessTokenFormat        string   `json:"access_token_format"`
	ResourceServer           bool     `json:"resource_server"`
	IDTokenSignedResponseAlg string   `json:"id_token_signed_response_alg"`
}

type updateRequest struct {
	Name                     *string   `json:"name"`
	RedirectURIs             *[]string `json:"redirect_uris"`
	PostLogoutRedirectURIs   *[]string `json:"post_logout_redirect_uris"`
	GrantTypes               *[]string `json:"grant_types"`
	TokenEndpointAuthMethod  *string   `json:"token_endpoint_auth_method"`
	Scopes                   *[]string `json:"scopes"`
	FirstParty               *bool     `json:"first_party"`
	AccessTokenFormat        *string   `json:"access_token_format"`
	ResourceServer           *bool     `json:"resource_server"`
	IDTokenSignedResponseAlg *string   `json:"id_token_signed_response_alg"`
}

type clientResponse struct {
	ClientID                 string     `json:"client_id"`
	OrganizationID           string     `json:"organization_id"`
	Name                     string     `json:"name"`
	RedirectURIs             []string   `json:"redirect_uris"`
	PostLogoutRedirectURIs   []string   `json:"post_logout_redirect_uris"`
	GrantTypes               []string   `json:"grant_types"`
	TokenEndpointAuthMethod  string     `json:"token_endpoint_auth_method"`
	Scopes                   []string   `json:"scopes"`
	FirstParty               bool       `json:"first_party"`
	AccessTokenFormat        string     `json:"access_token_format"`
	ResourceServer           bool       `json:"resource_server"`
	IDTokenSignedResponseAlg string     `json:"id_token_signed_response_alg"`
	Public                   bool       `json:"public"`
	PreviousSecretExpiresAt  *time.Time `json:"previous_secret_expires_at"`
	CreatedAt                time.Time  `json:"created_at"`
	UpdatedAt                time.Time  `json:"updated_at"`
}

// createdResponse is a new client with its secret, shown this once (null
// for a public client).
type createdResponse struct {
	clientResponse
	ClientSecret *string `json:"client_secret"`
}

type secretResponse struct {
	ClientID                string     `json:"client_id"`
	ClientSecret            string     `json:"client_secret"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toResponse(v oauthport.ClientView) clientResponse {
	out := clientResponse{
		ClientID: v.ClientID, OrganizationID: v.Organization.String(), Name: v.Name,
		RedirectURIs: nonNil(v.RedirectURIs), PostLogoutRedirectURIs: nonNil(v.PostLogoutRedirectURIs),
		GrantTypes: nonNil(v.GrantTypes), TokenEndpointAuthMethod: v.TokenEndpointAuthMethod, Scopes: nonNil(v.Scopes),
		FirstParty: v.FirstParty, AccessTokenFormat: v.AccessTokenFormat, ResourceServer: v.ResourceServer,
		IDTokenSignedResponseAlg: v.IDTokenSignedResponseAlg, Public: v.Public, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
	if v.PreviousSecretExpiresAt != nil {
		t := v.PreviousSecretExpiresAt.UTC()
		out.PreviousSecretExpiresAt = &t
	}
	return out
}

func orgID(c *fiber.Ctx) (shared.OrganizationID, error) {
	id, err := shared.ParseOrganizationID(c.Params("id"))
	if err != nil {
		return shared.OrganizationID{}, oauth.ErrOrganizationNotFound
	}
	return id, nil
}

func (h handlers) create(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	var req createRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Create(c.UserContext(), oauthport.CreateClientCommand{
		Actor: httpapi.Principal(c).UserID, Organization: org,
		ClientFields: oauthport.ClientFields{
			Name: req.Name, RedirectURIs: req.RedirectURIs, PostLogoutRedirectURIs: req.PostLogoutRedirectURIs,
			GrantTypes: req.GrantTypes, TokenEndpointAuthMethod: req.TokenEndpointAuthMethod, Scopes: req.Scopes,
			FirstParty: req.FirstParty, AccessTokenFormat: req.AccessTokenFormat, ResourceServer: req.ResourceServer,
			IDTokenSignedResponseAlg: req.IDTokenSignedResponseAlg,
		},
	})
	if err != nil {
		return err
	}
	out := createdResponse{clientResponse: toResponse(v.ClientView)}
	if v.Secret != "" {
		out.ClientSecret = &v.Secret
	}
	// The secret is shown once: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.Created(c, "OAuth client created", out)
}

func (h handlers) list(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	limit, err := httpapi.PageLimit(c, oauthport.DefaultPageSize, oauthport.MaxPageSize)
	if err != nil {
		return err
	}
	page, err := h.svc.List(c.UserContext(), httpapi.Principal(c).UserID, org, oauthport.Page{Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return err
	}
	items := make([]clientResponse, 0, len(page.Items))
	for _, v := range page.Items {
		items = append(items, toResponse(v))
	}
	meta := httpapi.ListMeta{Limit: page.Limit}
	if page.NextCursor != "" {
		next := page.NextCursor
		meta.NextCursor = &next
	}
	return httpapi.List(c, "OAuth clients", items, meta)
}

func (h handlers) get(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.Get(c.UserContext(), httpapi.Principal(c).UserID, org, c.Params("clientId"))
	if err != nil {
		return err
	}
	return httpapi.OK(c, "OAuth client", toResponse(v))
}

func (h handlers) update(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	var req updateRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Update(c.UserContext(), oauthport.UpdateClientCommand{
		Actor: httpapi.Principal(c).UserID, Organization: org, ClientID: c.Params("clientId"),
		Name: req.Name, RedirectURIs: req.RedirectURIs, PostLogoutRedirectURIs: req.PostLogoutRedirectURIs,
		GrantTypes: req.GrantTypes, TokenEndpointAuthMethod: req.TokenEndpointAuthMethod, Scopes: req.Scopes,
		FirstParty: req.FirstParty, AccessTokenFormat: req.AccessTokenFormat, ResourceServer: req.ResourceServer,
		IDTokenSignedResponseAlg: req.IDTokenSignedResponseAlg,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "OAuth client updated", toResponse(v))
}

func (h handlers) delete(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.UserContext(), httpapi.Principal(c).UserID, org, c.Params("clientId")); err != nil {
		return err
	}
	return httpapi.OK(c, "OAuth client deleted", nil)
}

func (h handlers) rotateSecret(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.RotateSecret(c.UserContext(), httpapi.Principal(c).UserID, org, c.Params("clientId"))
	if err != nil {
		return err
	}
	out := secretResponse{ClientID: r.ClientID, ClientSecret: r.Secret}
	if r.PreviousSecretExpiresAt != nil {
		t := r.PreviousSecretExpiresAt.UTC()
		out.PreviousSecretExpiresAt = &t
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.OK(c, "OAuth client secret rotated", out)
}
