// Package contacthttp is the inbound HTTP adapter of the contact context:
// the public POST /api/v1/contact route and its OpenAPI fragment.
//
// The handler decodes the body strictly, calls contactport.Service.Submit
// with the request's context (which carries the client IP chosen by the
// TRUSTED_PROXIES rule, the key of the rate limit) and answers 202 with the
// enquiry's id: the enquiry is stored, its mail is on its way. Validation,
// the rate limit and delivery are the application's. It imports Fiber,
// httpapi and ports, never application/.
package contacthttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/ports/contactport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct {
	svc contactport.Service
}

// Register mounts the contact route on r (the /api/v1 group). It is public:
// no authentication.
func Register(r fiber.Router, svc contactport.Service) {
	h := handlers{svc: svc}
	r.Post("/contact", h.submit)
}

type submitRequest struct {
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	Email   string  `json:"email"`
	Company *string `json:"company"`
	Phone   *string `json:"phone"`
	Message string  `json:"message"`
}

type receiptResponse struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
}

func (h handlers) submit(c *fiber.Ctx) error {
	var req submitRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Submit(c.UserContext(), contactport.SubmitEnquiry{
		Type: req.Type, Name: req.Name, Email: req.Email, Company: deref(req.Company),
		Phone: deref(req.Phone), Message: req.Message,
	})
	if err != nil {
		return err
	}
	return httpapi.Respond(c, fiber.StatusAccepted, "enquiry received", receiptResponse{
		ID: r.ID, Type: r.Type, Status: "received", ReceivedAt: r.ReceivedAt,
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
