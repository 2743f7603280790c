// Package organizationshttp is the inbound HTTP adapter of the
// organizations context: the routes of organizations, their members and
// invitations, and the caller's organizations and invitations under /api/v1,
// with their OpenAPI fragment.
//
// Handlers decode, call one organizationsport.Service method and map the
// result; every rule (who may do what, the last owner, duplicates) is the
// domain's. A malformed organization, user or invitation id (or token)
// answers 404 like an unknown one. It imports Fiber, httpapi and ports,
// never application/.
package organizationshttp

import (
	_ "embed"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct {
	svc organizationsport.Service
}

// Register mounts the context's routes on r (the /api/v1 group). Each route
// carries its own authentication so other contexts' unknown routes stay 404.
func Register(r fiber.Router, svc organizationsport.Service, auth sessionsport.Authenticator) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/organizations", authed, h.create)
	r.Get("/organizations/:id", authed, h.get)
	r.Patch("/organizations/:id", authed, h.update)
	r.Delete("/organizations/:id", authed, h.delete)
	r.Get("/organizations/:id/members", authed, h.listMembers)
	r.Post("/organizations/:id/members", authed, h.addMember)
	r.Delete("/organizations/:id/members/:userId", authed, h.removeMember)
	r.Patch("/organizations/:id/members/:userId/role", authed, h.changeRole)
	r.Get("/users/me/organizations", authed, h.listMine)
	r.Get("/organizations/:id/invitations", authed, h.listInvitations)
	r.Delete("/organizations/:id/invitations/:invitationId", authed, h.cancelInvitation)
	r.Get("/users/me/invitations", authed, h.listMyInvitations)
	r.Post("/users/me/invitations/:invitationId/accept", authed, h.acceptMyInvitation)
	r.Post("/users/me/invitations/:invitationId/decline", authed, h.declineMyInvitation)
	r.Post("/invitations/:token/accept", hideToken, authed, h.acceptByToken)
}

type createRequest struct {
	Name string  `json:"name"`
	Slug *string `json:"slug"`
}

type updateRequest struct {
	Name       *string `json:"name"`
	Slug       *string `json:"slug"`
	RequireMFA *bool   `json:"require_mfa"`
}

type addMemberRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

type changeRoleRequest struct {
	Role string `json:"role"`
}

type organizationResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	Role      string    `json:"role"`
	JoinedAt  time.Time `json:"joined_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// RequireMFA is the multi-factor policy.
	RequireMFA bool `json:"require_mfa"`
}

type memberResponse struct {
	Status   string    `json:"status"`
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// invitationResponse is an invitation as AddMember answers it and its
// organization's owners and admins list it: nothing in it depends on
// whether the address has an account.
type invitationResponse struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	Email          string    `json:"email"`
	Role           string    `json:"role"`
	Status         string    `json:"status"`
	InvitedBy      *string   `json:"invited_by"`
	InvitedAt      time.Time `json:"invited_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// myInvitationResponse is one of the caller's own invitations.
type myInvitationResponse struct {
	ID               string    `json:"id"`
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	Role             string    `json:"role"`
	InvitedAt        time.Time `json:"invited_at"`
	ExpiresAt        time.Time `json:"expires_at"`
}

func toOrganization(v organizationsport.OrganizationView) organizationResponse {
	return organizationResponse{
		ID: v.ID.String(), Name: v.Name, Slug: v.Slug, Role: v.Role,
		JoinedAt: v.JoinedAt, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, RequireMFA: v.RequireMFA,
	}
}

func toMember(v organizationsport.MemberView) memberResponse {
	return memberResponse{Status: v.Status, UserID: v.UserID.String(), Email: v.Email, Name: v.Name, Role: v.Role, JoinedAt: v.JoinedAt}
}

func toInvitation(v organizationsport.InvitationView) invitationResponse {
	out := invitationResponse{
		ID: v.ID.String(), OrganizationID: v.OrganizationID.String(), Email: v.Email, Role: v.Role, Status: v.Status,
		InvitedAt: v.InvitedAt, ExpiresAt: v.ExpiresAt,
	}
	if !v.InvitedBy.IsZero() {
		by := v.InvitedBy.String()
		out.InvitedBy = &by
	}
	return out
}

func toMyInvitation(v organizationsport.InvitationView) myInvitationResponse {
	return myInvitationResponse{
		ID: v.ID.String(), OrganizationID: v.OrganizationID.String(), OrganizationName: v.OrganizationName,
		Role: v.Role, InvitedAt: v.InvitedAt, ExpiresAt: v.ExpiresAt,
	}
}

func orgID(c *fiber.Ctx) (shared.OrganizationID, error) {
	id, err := shared.ParseOrganizationID(c.Params("id"))
	if err != nil {
		return shared.OrganizationID{}, organizations.ErrNotFound
	}
	return id, nil
}

func memberID(c *fiber.Ctx) (shared.UserID, error) {
	id, err := shared.ParseUserID(c.Params("userId"))
	if err != nil {
		return shared.UserID{}, organizations.ErrMemberNotFound
	}
	return id, nil
}

func invitationID(c *fiber.Ctx) (uuid.UUID, error) {
	raw := c.Params("invitationId")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.UUID{}, organizations.ErrInvitationNotFound
	}
	return id, nil
}

func page(c *fiber.Ctx) (organizationsport.Page, error) {
	limit, err := httpapi.PageLimit(c, organizationsport.DefaultPageLimit, organizationsport.MaxPageLimit)
	if err != nil {
		return organizationsport.Page{}, err
	}
	return organizationsport.Page{Limit: limit, Cursor: c.Query("cursor")}, nil
}

func listMeta(limit int, next string) httpapi.ListMeta {
	m := httpapi.ListMeta{Limit: limit}
	if next != "" {
		m.NextCursor = &next
	}
	return m
}

func (h handlers) create(c *fiber.Ctx) error {
	var req createRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Create(c.UserContext(), organizationsport.CreateCommand{
		Actor: httpapi.Principal(c).UserID, Name: req.Name, Slug: req.Slug,
	})
	if err != nil {
		return err
	}
	return httpapi.Created(c, "organization created", toOrganization(v))
}

func (h handlers) get(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.Get(c.UserContext(), httpapi.Principal(c).UserID, id)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "organization", toOrganization(v))
}

func (h handlers) update(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	var req updateRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Update(c.UserContext(), organizationsport.UpdateCommand{
		Actor: httpapi.Principal(c).UserID, Organization: id, Name: req.Name, Slug: req.Slug, RequireMFA: req.RequireMFA,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "organization updated", toOrganization(v))
}

func (h handlers) delete(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.UserContext(), httpapi.Principal(c).UserID, id); err != nil {
		return err
	}
	return httpapi.OK(c, "organization deleted", nil)
}

func (h handlers) listMembers(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := h.svc.ListMembers(c.UserContext(), httpapi.Principal(c).UserID, id, p)
	if err != nil {
		return err
	}
	items := make([]memberResponse, 0, len(res.Items))
	for _, m := range res.Items {
		items = append(items, toMember(m))
	}
	return httpapi.List(c, "members", items, listMeta(p.Limit, res.NextCursor))
}

func (h handlers) addMember(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	var req addMemberRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.AddMember(c.UserContext(), organizationsport.AddMemberCommand{
		Actor: httpapi.Principal(c).UserID, Organization: id, Email: req.Email, Role: req.Role,
	})
	if err != nil {
		return err
	}
	return httpapi.Created(c, "invitation sent", toInvitation(v))
}

func (h handlers) removeMember(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	user, err := memberID(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveMember(c.UserContext(), httpapi.Principal(c).UserID, id, user); err != nil {
		return err
	}
	return httpapi.OK(c, "member removed", nil)
}

func (h handlers) changeRole(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	user, err := memberID(c)
	if err != nil {
		return err
	}
	var req changeRoleRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.ChangeRole(c.UserContext(), organizationsport.ChangeRoleCommand{
		Actor: httpapi.Principal(c).UserID, Organization: id, User: user, Role: req.Role,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "role changed", toMember(v))
}

func (h handlers) listMine(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := h.svc.ListMine(c.UserContext(), httpapi.Principal(c).UserID, p)
	if err != nil {
		return err
	}
	items := make([]organizationResponse, 0, len(res.Items))
	for _, o := range res.Items {
		items = append(items, toOrganization(o))
	}
	return httpapi.List(c, "organizations", items, listMeta(p.Limit, res.NextCursor))
}

func (h handlers) listInvitations(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := h.svc.ListInvitations(c.UserContext(), httpapi.Principal(c).UserID, id, p)
	if err != nil {
		return err
	}
	items := make([]invitationResponse, 0, len(res.Items))
	for _, v := range res.Items {
		items = append(items, toInvitation(v))
	}
	return httpapi.List(c, "invitations", items, listMeta(p.Limit, res.NextCursor))
}

func (h handlers) cancelInvitation(c *fiber.Ctx) error {
	id, err := orgID(c)
	if err != nil {
		return err
	}
	inv, err := invitationID(c)
	if err != nil {
		return err
	}
	if err := h.svc.CancelInvitation(c.UserContext(), httpapi.Principal(c).UserID, id, inv); err != nil {
		return err
	}
	return httpapi.OK(c, "invitation cancelled", nil)
}

func (h handlers) listMyInvitations(c *fiber.Ctx) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	res, err := h.svc.ListMyInvitations(c.UserContext(), httpapi.Principal(c).UserID, p)
	if err != nil {
		return err
	}
	items := make([]myInvitationResponse, 0, len(res.Items))
	for _, v := range res.Items {
		items = append(items, toMyInvitation(v))
	}
	return httpapi.List(c, "invitations", items, listMeta(p.Limit, res.NextCursor))
}

func (h handlers) acceptMyInvitation(c *fiber.Ctx) error {
	inv, err := invitationID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.AcceptInvitation(c.UserContext(), httpapi.Principal(c).UserID, inv)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "invitation accepted", toOrganization(v))
}

func (h handlers) declineMyInvitation(c *fiber.Ctx) error {
	inv, err := invitationID(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeclineInvitation(c.UserContext(), httpapi.Principal(c).UserID, inv); err != nil {
		return err
	}
	return httpapi.OK(c, "invitation declined", nil)
}

// tokenPath is the path the access and error logs record for the token
// route: the link token is a credential and must not reach a log.
const tokenPath = "/api/v1/invitations/{token}/accept"

type tokenKey struct{}

// hideToken runs before authentication (a refused request is logged too):
// it keeps a copy of the token for the handler and replaces the request
// path the logs read.
func hideToken(c *fiber.Ctx) error {
	c.Locals(tokenKey{}, strings.Clone(c.Params("token")))
	c.Path(tokenPath)
	return c.Next()
}

func (h handlers) acceptByToken(c *fiber.Ctx) error {
	token, _ := c.Locals(tokenKey{}).(string)
	v, err := h.svc.AcceptInvitationByToken(c.UserContext(), httpapi.Principal(c).UserID, token)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "invitation accepted", toOrganization(v))
}
