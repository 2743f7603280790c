// Package passkeyhttp is the inbound HTTP adapter of the passkey context
// under /api/v1, in the envelope, with its OpenAPI fragment: registering a
// WebAuthn passkey (begin and finish), listing, renaming and removing a
// user's passkeys, and passwordless sign-in (begin and finish).
//
// It imports Fiber, httpapi and ports, never application/.
package passkeyhttp

import (
	_ "embed"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct{ svc passkeyport.Service }

// Register mounts the routes on r (the /api/v1 group).
func Register(r fiber.Router, svc passkeyport.Service, auth sessionsport.Authenticator) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/auth/webauthn/login/begin", h.beginLogin)
	r.Post("/auth/webauthn/login/finish", h.finishLogin)
	r.Get("/users/me/mfa/webauthn", authed, h.list)
	r.Post("/users/me/mfa/webauthn/register/begin", authed, h.beginRegistration)
	r.Post("/users/me/mfa/webauthn/register/finish", authed, h.finishRegistration)
	r.Patch("/users/me/mfa/webauthn/:id", authed, h.rename)
	r.Delete("/users/me/mfa/webauthn/:id", authed, h.remove)
}

type begunResponse struct {
	Ceremony  string          `json:"ceremony"`
	ExpiresAt time.Time       `json:"expires_at"`
	Options   json.RawMessage `json:"options"`
}

type finishRegistrationRequest struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"`
	Name       string          `json:"name"`
}

type finishLoginRequest struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"`
}

type renameRequest struct {
	Name string `json:"name"`
}

type passkeyResponse struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	UserVerified   bool       `json:"user_verified"`
	BackupEligible bool       `json:"backup_eligible"`
	BackupState    bool       `json:"backup_state"`
	Transports     []string   `json:"transports"`
}

type passkeysResponse struct {
	Passkeys []passkeyResponse `json:"passkeys"`
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
}

type userResponse struct {
	ID              string     `json:"id"`
	Email           string     `json:"email"`
	EmailVerified   bool       `json:"email_verified"`
	EmailVerifiedAt *time.Time `json:"email_verified_at"`
	Name            string     `json:"name"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

type loginResponse struct {
	Token     string          `json:"token"`
	TokenType string          `json:"token_type"`
	ExpiresAt time.Time       `json:"expires_at"`
	Session   sessionResponse `json:"session"`
	User      userResponse    `json:"user"`
	AMR       []string        `json:"amr"`
	httpapi.MFAEnrolment
}

type mfaRequiredResponse struct {
	MFARequired bool      `json:"mfa_required"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
	Factors     []string  `json:"factors"`
}

func toPasskey(v passkeyport.PasskeyView) passkeyResponse {
	out := passkeyResponse{
		ID: v.ID.String(), Name: v.Name, CreatedAt: v.CreatedAt.UTC(), UserVerified: v.UserVerified,
		BackupEligible: v.BackupEligible, BackupState: v.BackupState, Transports: v.Transports,
	}
	if out.Transports == nil {
		out.Transports = []string{}
	}
	if !v.LastUsedAt.IsZero() {
		t := v.LastUsedAt.UTC()
		out.LastUsedAt = &t
	}
	return out
}

func toUser(v identityport.UserView) userResponse {
	r := userResponse{
		ID: v.ID.String(), Email: v.Email, EmailVerified: v.EmailVerified, Name: v.Name,
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
	if v.EmailVerified {
		at := v.EmailVerifiedAt.UTC()
		r.EmailVerifiedAt = &at
	}
	return r
}

func passkeyID(c *fiber.Ctx) (uuid.UUID, error) {
	raw := c.Params("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, passkey.ErrNotFound
	}
	return id, nil
}

func begun(c *fiber.Ctx, b passkeyport.Begun, message string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.OK(c, message, begunResponse{Ceremony: b.Ceremony, ExpiresAt: b.ExpiresAt.UTC(), Options: b.Options})
}

func (h handlers) beginRegistration(c *fiber.Ctx) error {
	b, err := h.svc.BeginRegistration(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return begun(c, b, "passkey registration begun; pass options to navigator.credentials.create")
}

func (h handlers) finishRegistration(c *fiber.Ctx) error {
	var req finishRegistrationRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.FinishRegistration(c.UserContext(), httpapi.Principal(c), passkeyport.FinishRegistrationCommand{
		Ceremony: req.Ceremony, Credential: req.Credential, Name: req.Name,
	})
	if err != nil {
		return err
	}
	return httpapi.Created(c, "passkey registered", toPasskey(v))
}

func (h handlers) list(c *fiber.Ctx) error {
	vs, err := h.svc.List(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	out := passkeysResponse{Passkeys: make([]passkeyResponse, 0, len(vs))}
	for _, v := range vs {
		out.Passkeys = append(out.Passkeys, toPasskey(v))
	}
	return httpapi.OK(c, "passkeys", out)
}

func (h handlers) rename(c *fiber.Ctx) error {
	id, err := passkeyID(c)
	if err != nil {
		return err
	}
	var req renameRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Rename(c.UserContext(), httpapi.Principal(c), id, req.Name)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "passkey renamed", toPasskey(v))
}

func (h handlers) remove(c *fiber.Ctx) error {
	id, err := passkeyID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Remove(c.UserContext(), httpapi.Principal(c), id); err != nil {
		return err
	}
	return httpapi.OK(c, "passkey removed", nil)
}

func (h handlers) beginLogin(c *fiber.Ctx) error {
	b, err := h.svc.BeginLogin(c.UserContext())
	if err != nil {
		return err
	}
	return begun(c, b, "passkey sign-in begun; pass options to navigator.credentials.get")
}

func (h handlers) finishLogin(c *fiber.Ctx) error {
	var req finishLoginRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	res, err := h.svc.FinishLogin(c.UserContext(), passkeyport.FinishLoginCommand{Ceremony: req.Ceremony, Credential: req.Credential})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if res.MFA != nil {
		return httpapi.OK(c, "a second factor is required", mfaRequiredResponse{
			MFARequired: true, Challenge: res.MFA.Token, ExpiresAt: res.MFA.ExpiresAt.UTC(), Factors: res.MFA.Factors,
		})
	}
	s := res.Session.Session
	return httpapi.OK(c, "logged in", loginResponse{
		Token: res.Session.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt.UTC(),
		Session: sessionResponse{
			ID: s.ID.String(), CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			AbsoluteExpiresAt: s.AbsoluteExpiresAt.UTC(), IP: s.IP, UserAgent: s.UserAgent, Current: s.Current,
		},
		User: toUser(res.User), AMR: s.Method.AMR(), MFAEnrolment: httpapi.MFAEnrolmentOf(res.Session),
	})
}
