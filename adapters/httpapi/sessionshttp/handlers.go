// Package sessionshttp is the inbound HTTP adapter of the sessions context:
// logout, the caller's active sessions, refresh and revocation under
// /api/v1/auth, with their OpenAPI fragment.
//
// Handlers call one sessionsport method each and map the result; every
// rule (ownership, the sliding window, revocation) lives below. It imports
// Fiber, httpapi and ports, never application/.
package sessionshttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Page sizes of the session list.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// Service is what the routes call: the sessions use cases and paging.
type Service interface {
	sessionsport.Service
	sessionsport.Lister
}

type handlers struct {
	svc Service
}

// Register mounts the context's routes on r (the /api/v1 group). Each route
// carries its own authentication so other contexts' unknown routes stay 404.
func Register(r fiber.Router, svc Service) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(svc)
	r.Post("/auth/logout", authed, h.logout)
	r.Get("/auth/sessions", authed, h.list)
	r.Post("/auth/sessions/refresh", authed, h.refresh)
	r.Delete("/auth/sessions/:id", authed, h.revoke)
}

type sessionResponse struct {
	ID                string    `json:"id"`
	CreatedAt         time.Time `json:"created_at"`
	LastSeenAt        time.Time `json:"last_seen_at"`
	ExpiresAt         time.Time `json:"expires_at"`
	AbsoluteExpiresAt time.Time `json:"absolute_expires_at"`
	IP                string    `json:"ip"`
	UserAgent         string    `json:"user_agent"`
	Current           bool      `json:"current"`
	AuthMethod        string    `json:"auth_method"`
	AMR               []string  `json:"amr"`
	AuthTime          time.Time `json:"auth_time"`
}

func toResponse(v sessionsport.SessionView) sessionResponse {
	r := sessionResponse{
		ID: v.ID.String(), CreatedAt: v.CreatedAt.UTC(), LastSeenAt: v.LastSeenAt.UTC(),
		ExpiresAt: v.ExpiresAt.UTC(), AbsoluteExpiresAt: v.AbsoluteExpiresAt.UTC(),
		IP: v.IP, UserAgent: v.UserAgent, Current: v.Current,
		AuthMethod: v.Method.Name(), AMR: v.Method.AMR(), AuthTime: v.AuthTime.UTC(),
	}
	if r.AMR == nil {
		r.AMR = []string{}
	}
	return r
}

func (h handlers) logout(c *fiber.Ctx) error {
	if err := h.svc.Logout(c.UserContext(), httpapi.Principal(c)); err != nil {
		return err
	}
	return httpapi.OK(c, "logged out", nil)
}

func (h handlers) list(c *fiber.Ctx) error {
	limit, err := httpapi.PageLimit(c, defaultLimit, maxLimit)
	if err != nil {
		return err
	}
	page, err := h.svc.ListPage(c.UserContext(), httpapi.Principal(c), sessionsport.ListQuery{
		Cursor: c.Query("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	items := make([]sessionResponse, len(page.Items))
	for i, v := range page.Items {
		items[i] = toResponse(v)
	}
	meta := httpapi.ListMeta{Limit: limit}
	if page.NextCursor != "" {
		next := page.NextCursor
		meta.NextCursor = &next
	}
	return httpapi.List(c, "active sessions", items, meta)
}

func (h handlers) refresh(c *fiber.Ctx) error {
	v, err := h.svc.Refresh(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return httpapi.OK(c, "session refreshed", toResponse(v))
}

func (h handlers) revoke(c *fiber.Ctx) error {
	raw := c.Params("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return sessions.ErrNotFound
	}
	if err := h.svc.Revoke(c.UserContext(), httpapi.Principal(c), id); err != nil {
		return err
	}
	return httpapi.OK(c, "session revoked", nil)
}
