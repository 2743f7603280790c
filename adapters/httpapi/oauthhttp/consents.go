package oauthhttp

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/sessionsport"
)

type consentHandlers struct{ svc oauthport.Consents }

// RegisterConsents mounts a user's own consents on r (the /api/v1 group).
func RegisterConsents(r fiber.Router, svc oauthport.Consents, auth sessionsport.Authenticator) {
	h := consentHandlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Get("/users/me/consents", authed, h.list)
	r.Delete("/users/me/consents/:clientId", authed, h.revoke)
}

type consentResponse struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (h consentHandlers) list(c *fiber.Ctx) error {
	cs, err := h.svc.ListConsents(c.UserContext(), httpapi.Principal(c).UserID)
	if err != nil {
		return err
	}
	items := make([]consentResponse, 0, len(cs))
	for _, v := range cs {
		items = append(items, consentResponse{ClientID: v.ClientID, ClientName: v.ClientName, Scopes: nonNil(v.Scopes),
			CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC()})
	}
	return httpapi.List(c, "OAuth consents", items, httpapi.ListMeta{Limit: len(items)})
}

func (h consentHandlers) revoke(c *fiber.Ctx) error {
	if err := h.svc.RevokeConsent(c.UserContext(), httpapi.Principal(c).UserID, c.Params("clientId")); err != nil {
		return err
	}
	return httpapi.OK(c, "OAuth consent revoked", nil)
}
