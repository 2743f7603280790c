// Package identityhttp is the inbound HTTP adapter of the identity context:
// registration, login, the current user's profile, password and account
// under /api/v1, with their OpenAPI fragment.
//
// Handlers decode strictly (an unknown or mistyped field is a 400), call one
// identityport.Service method and map the result; validation, credentials,
// limits and every other rule live below. It imports Fiber, httpapi and
// ports, never application/.
package identityhttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct {
	svc identityport.Service
}

// Register mounts the context's routes on r (the /api/v1 group). Each
// protected route carries its own authentication so other contexts'
// unknown routes stay 404.
func Register(r fiber.Router, svc identityport.Service, auth sessionsport.Authenticator) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/auth/register", h.register)
	r.Post("/auth/login", h.login)
	r.Get("/auth/me", authed, h.me)
	r.Get("/users/me", authed, h.me)
	r.Patch("/users/me", authed, h.updateProfile)
	r.Delete("/users/me", authed, h.deleteAccount)
	r.Post("/users/me/password", authed, h.changePassword)
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type updateProfileRequest struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type userResponse struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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

type loginResponse struct {
	Token     string          `json:"token"`
	TokenType string          `json:"token_type"`
	ExpiresAt time.Time       `json:"expires_at"`
	Session   sessionResponse `json:"session"`
	User      userResponse    `json:"user"`
}

type passwordChangedResponse struct {
	SessionsRevoked int `json:"sessions_revoked"`
}

func toUser(v identityport.UserView) userResponse {
	return userResponse{
		ID: v.ID.String(), Email: v.Email, Name: v.Name,
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
}

func toSession(s sessionsport.SessionView) sessionResponse {
	return sessionResponse{
		ID: s.ID.String(), CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(),
		ExpiresAt: s.ExpiresAt.UTC(), AbsoluteExpiresAt: s.AbsoluteExpiresAt.UTC(),
		IP: s.IP, UserAgent: s.UserAgent, Current: s.Current,
	}
}

func (h handlers) register(c *fiber.Ctx) error {
	var req registerRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Register(c.UserContext(), identityport.RegisterCommand{
		Email: req.Email, Password: req.Password, Name: req.Name,
	})
	if err != nil {
		return err
	}
	return httpapi.Created(c, "account created", toUser(v))
}

func (h handlers) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	res, err := h.svc.Login(c.UserContext(), identityport.LoginCommand{Email: req.Email, Password: req.Password})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "logged in", loginResponse{
		Token: res.Session.Token, TokenType: "Bearer", ExpiresAt: res.Session.Session.ExpiresAt.UTC(),
		Session: toSession(res.Session.Session), User: toUser(res.User),
	})
}

func (h handlers) me(c *fiber.Ctx) error {
	v, err := h.svc.Me(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return httpapi.OK(c, "current user", toUser(v))
}

func (h handlers) updateProfile(c *fiber.Ctx) error {
	var req updateProfileRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.UpdateProfile(c.UserContext(), httpapi.Principal(c), identityport.UpdateProfileCommand{
		Name: req.Name, Email: req.Email,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "profile updated", toUser(v))
}

func (h handlers) changePassword(c *fiber.Ctx) error {
	var req changePasswordRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	out, err := h.svc.ChangePassword(c.UserContext(), httpapi.Principal(c), identityport.ChangePasswordCommand{
		CurrentPassword: req.CurrentPassword, NewPassword: req.NewPassword,
	})
	if err != nil {
		return err
	}
	return httpapi.OK(c, "password changed; other sessions were signed out", passwordChangedResponse{SessionsRevoked: out.SessionsRevoked})
}

func (h handlers) deleteAccount(c *fiber.Ctx) error {
	if err := h.svc.DeleteAccount(c.UserContext(), httpapi.Principal(c)); err != nil {
		return err
	}
	return httpapi.OK(c, "account deleted", nil)
}
