// Package audithttp is the inbound HTTP adapter of the audit context's read
// API: a user's own records and an organization's records (owners and
// admins), filtered and cursor-paginated newest first, with its OpenAPI
// fragment.
//
// Handlers read the query string, call one auditport.Reader method and map
// the result; validation of filters and cursors is the application's. A
// malformed organization id answers 404 like an unknown one. It imports
// Fiber, httpapi and ports, never application/.
package audithttp

import (
	_ "embed"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct {
	svc auditport.Reader
}

// Register mounts the read API on r (the /api/v1 group), each route with its
// own authentication.
func Register(r fiber.Router, svc auditport.Reader, auth sessionsport.Authenticator) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Get("/users/me/audit-logs", authed, h.listMine)
	r.Get("/organizations/:id/audit-logs", authed, h.listOrganization)
}

// recordResponse is one record. Absent values are null, and so is the
// sequence of a record the sealer has not placed in the chain yet.
type recordResponse struct {
	ID             string          `json:"id"`
	Sequence       *int64          `json:"sequence"`
	OccurredAt     time.Time       `json:"occurred_at"`
	ActorType      string          `json:"actor_type"`
	ActorID        *string         `json:"actor_id"`
	Action         string          `json:"action"`
	TargetType     *string         `json:"target_type"`
	TargetID       *string         `json:"target_id"`
	OrganizationID *string         `json:"organization_id"`
	IP             *string         `json:"ip"`
	UserAgent      *string         `json:"user_agent"`
	RequestID      *string         `json:"request_id"`
	CorrelationID  *string         `json:"correlation_id"`
	Details        json.RawMessage `json:"details"`
}

func (h handlers) listMine(c *fiber.Ctx) error {
	req, err := listRequest(c)
	if err != nil {
		return err
	}
	page, err := h.svc.ListForUser(c.UserContext(), httpapi.Principal(c).UserID, req)
	if err != nil {
		return err
	}
	return respond(c, page)
}

func (h handlers) listOrganization(c *fiber.Ctx) error {
	org, err := shared.ParseOrganizationID(c.Params("id"))
	if err != nil {
		return audit.ErrOrganizationNotFound
	}
	req, err := listRequest(c)
	if err != nil {
		return err
	}
	page, err := h.svc.ListForOrganization(c.UserContext(), httpapi.Principal(c).UserID, org, req)
	if err != nil {
		return err
	}
	return respond(c, page)
}

func listRequest(c *fiber.Ctx) (auditport.ListRequest, error) {
	limit, err := httpapi.PageLimit(c, auditport.DefaultPageSize, auditport.MaxPageSize)
	if err != nil {
		return auditport.ListRequest{}, err
	}
	return auditport.ListRequest{
		Action:  c.Query("action"),
		ActorID: c.Query("actor_id"),
		From:    c.Query("from"),
		To:      c.Query("to"),
		Limit:   limit,
		Cursor:  c.Query("cursor"),
	}, nil
}

func respond(c *fiber.Ctx, page auditport.Page) error {
	items := make([]recordResponse, 0, len(page.Items))
	for _, v := range page.Items {
		items = append(items, toResponse(v))
	}
	meta := httpapi.ListMeta{Limit: page.Limit}
	if page.NextCursor != "" {
		next := page.NextCursor
		meta.NextCursor = &next
	}
	return httpapi.List(c, "audit records", items, meta)
}

func toResponse(v auditport.RecordView) recordResponse {
	details := json.RawMessage(v.Details)
	if !json.Valid(details) {
		details = json.RawMessage("{}")
	}
	var seq *int64
	if v.Sequence != 0 {
		seq = &v.Sequence
	}
	return recordResponse{
		ID: v.ID.String(), Sequence: seq, OccurredAt: v.OccurredAt.UTC(),
		ActorType: v.ActorType, ActorID: nullable(v.ActorID), Action: v.Action,
		TargetType: nullable(v.TargetType), TargetID: nullable(v.TargetID),
		OrganizationID: nullable(v.OrganizationID), IP: nullable(v.ClientIP),
		UserAgent: nullable(v.UserAgent), RequestID: nullable(v.RequestID), CorrelationID: nullable(v.CorrelationID),
		Details: details,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
