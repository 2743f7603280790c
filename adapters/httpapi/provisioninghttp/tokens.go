// Package provisioninghttp is the inbound HTTP adapter of the provisioning
// context: the SCIM token admin routes under /api/v1 (in the envelope,
// with their OpenAPI fragment) and the SCIM 2.0 protocol endpoints under
// /scim/v2/:organizationId (RFC 7643 resources, RFC 7644 operations and
// error format, application/scim+json), which form their own route group.
//
// The protocol's syntax is read here: the JSON of a User with its
// case-insensitive attribute names, the filter of a list (the equality
// filters identity providers send), PatchOp operations. The rules are the
// application's. It imports Fiber, httpapi and ports, never application/.
package provisioninghttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

// errOrganizationNotFound answers a malformed organization id like an
// unknown one (the organizations context's code).
var errOrganizationNotFound = shared.NotFound("organizations.not_found", "organization not found")

type tokenHandlers struct{ svc provisioningport.Tokens }

// RegisterTokens mounts the SCIM token admin routes on r (the /api/v1
// group), each with its own authentication; creating a token needs a
// recent sign-in or factor check (stepUp).
func RegisterTokens(r fiber.Router, svc provisioningport.Tokens, auth sessionsport.Authenticator, stepUp httpapi.StepUp) {
	h := tokenHandlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/organizations/:id/scim-tokens", authed, httpapi.RequireRecentSignIn(stepUp), h.create)
	r.Get("/organizations/:id/scim-tokens", authed, h.list)
	r.Delete("/organizations/:id/scim-tokens/:tokenId", authed, h.revoke)
}

type createTokenRequest struct {
	Name string `json:"name"`
}

type tokenResponse struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	Status         string     `json:"status"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	RevokedAt      *time.Time `json:"revoked_at"`
}

type createdTokenResponse struct {
	tokenResponse
	Token string `json:"token"`
}

func toToken(v provisioningport.TokenView) tokenResponse {
	out := tokenResponse{
		ID: v.ID.String(), OrganizationID: v.Organization.String(), Name: v.Name, Status: "active",
		CreatedBy: v.CreatedBy.String(), CreatedAt: v.CreatedAt,
	}
	if !v.LastUsedAt.IsZero() {
		t := v.LastUsedAt
		out.LastUsedAt = &t
	}
	if !v.RevokedAt.IsZero() {
		t := v.RevokedAt
		out.RevokedAt, out.Status = &t, "revoked"
	}
	return out
}

func orgID(c *fiber.Ctx) (shared.OrganizationID, error) {
	id, err := shared.ParseOrganizationID(c.Params("id"))
	if err != nil {
		return shared.OrganizationID{}, errOrganizationNotFound
	}
	return id, nil
}

func (h tokenHandlers) create(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	var req createTokenRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	t, err := h.svc.CreateToken(c.UserContext(), provisioningport.CreateTokenCommand{
		Actor: httpapi.Principal(c).UserID, Organization: org, Name: req.Name,
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.Created(c, "SCIM token created; it is shown only this once", createdTokenResponse{tokenResponse: toToken(t.TokenView), Token: t.Token})
}

func (h tokenHandlers) list(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	list, err := h.svc.ListTokens(c.UserContext(), httpapi.Principal(c).UserID, org)
	if err != nil {
		return err
	}
	out := make([]tokenResponse, 0, len(list))
	for _, t := range list {
		out = append(out, toToken(t))
	}
	return httpapi.List(c, "SCIM tokens", out, httpapi.ListMeta{Limit: len(out)})
}

func (h tokenHandlers) revoke(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	raw := c.Params("tokenId")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return provisioning.ErrTokenNotFound
	}
	if err := h.svc.RevokeToken(c.UserContext(), httpapi.Principal(c).UserID, org, id); err != nil {
		return err
	}
	return httpapi.OK(c, "SCIM token revoked", nil)
}
