// Package organizationshttp is the inbound HTTP adapter of the
// organizations context: the routes of organizations, their members and the
// caller's organizations under /api/v1, with their OpenAPI fragment.
//
// Handlers decode, call one organizationsport.Service method and map the
// result; every rule (who may do what, the last owner, duplicates) is the
// domain's. A malformed organization or user id answers 404 like an unknown
// one. It imports Fiber, httpapi and ports, never application/.
package organizationshttp

import (
	_ "embed"
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
}

type createRequest struct {
	Name string  `json:"name"`
	Slug *string `json:"slug"`
}

type updateRequest struct {
	Name *string `json:"name"`
	Slug *string `json:"slug"`
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
}

type memberResponse struct {
	Status       string     `json:"status"`
	UserID       *string    `json:"user_id"`
	InvitationID *string    `json:"invitation_id"`
	Email        string     `json:"email"`
	Name         *string    `json:"name"`
	Role         string     `json:"role"`
	JoinedAt     *time.Time `json:"joined_at"`
	InvitedAt    *time.Time `json:"invited_at"`
}

func toOrganization(v organizationsport.OrganizationView) organizationResponse {
	return organizationResponse{
		ID: v.ID.String(), Name: v.Name, Slug: v.Slug, Role: v.Role,
		JoinedAt: v.JoinedAt, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
}

func toMember(v organizationsport.MemberView) memberResponse {
	out := memberResponse{Status: v.Status, Email: v.Email, Role: v.Role}
	if !v.UserID.IsZero() {
		id, name, at := v.UserID.String(), v.Name, v.JoinedAt
		out.UserID, out.Name, out.JoinedAt = &id, &name, &at
	}
	if v.InvitationID != uuid.Nil {
		id, at := v.InvitationID.String(), v.InvitedAt
		out.InvitationID, out.InvitedAt = &id, &at
	}
	return out
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
		Actor: httpapi.Principal(c).UserID, Organization: id, Name: req.Name, Slug: req.Slug,
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
	msg := "member added"
	if v.Status == organizationsport.StatusPending {
		msg = "invitation pending until this email registers"
	}
	return httpapi.Created(c, msg, toMember(v))
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
