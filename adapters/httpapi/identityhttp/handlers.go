// Package identityhttp is the inbound HTTP adapter of the identity context:
// registration, login, email verification, password reset, the current
// user's profile, password and account under /api/v1, with their OpenAPI
// fragment.
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
	r.Post("/auth/verify-email", h.verifyEmail)
	r.Post("/auth/verify-email/resend", authed, h.resendVerification)
	r.Post("/auth/password/forgot", h.forgotPassword)
	r.Post("/auth/password/reset", h.resetPassword)
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
	Name            *string `json:"name"`
	Email           *string `json:"email"`
	CurrentPassword string  `json:"current_password"`
}

type deleteAccountRequest struct {
	CurrentPassword string `json:"current_password"`
}

type tokenRequest struct {
	Token string `json:"token"`
}

type forgotPasswordRequest struct {
	Email string `json:"email"`
}

type resetPasswordRequest struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
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

// profileUpdatedResponse is the user, with the address a confirmation link
// was mailed to while an email change waits for it.
type profileUpdatedResponse struct {
	userResponse
	PendingEmail          string     `json:"pending_email,omitempty"`
	PendingEmailExpiresAt *time.Time `json:"pending_email_expires_at,omitempty"`
}

type emailConfirmedResponse struct {
	UserID          string `json:"user_id"`
	Email           string `json:"email"`
	EmailVerified   bool   `json:"email_verified"`
	EmailChanged    bool   `json:"email_changed"`
	SessionsRevoked int    `json:"sessions_revoked"`
	// IdentitiesUnlinked names the providers whose identities the proof
	// removed (they never vouched for the address).
	IdentitiesUnlinked []string `json:"identities_unlinked"`
}

type verificationSentResponse struct {
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expires_at"`
}

type passwordResetResponse struct {
	SessionsRevoked    int      `json:"sessions_revoked"`
	IdentitiesUnlinked []string `json:"identities_unlinked"`
}

// unlinkedProviders names the providers of identities a proof removed
// (never null).
func unlinkedProviders(list []identityport.UnlinkedIdentity) []string {
	out := make([]string, 0, len(list))
	for _, u := range list {
		out = append(out, u.Provider)
	}
	return out
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
	httpapi.MFAEnrolment
}

// mfaRequiredResponse answers a correct password of an account with a
// second factor: no session yet, the challenge to answer at
// POST /auth/login/mfa.
type mfaRequiredResponse struct {
	MFARequired bool      `json:"mfa_required"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
	Factors     []string  `json:"factors"`
}

type passwordChangedResponse struct {
	SessionsRevoked int `json:"sessions_revoked"`
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
	if res.MFA != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return httpapi.OK(c, "a second factor is required", mfaRequiredResponse{
			MFARequired: true, Challenge: res.MFA.Token, ExpiresAt: res.MFA.ExpiresAt.UTC(), Factors: res.MFA.Factors,
		})
	}
	return httpapi.OK(c, "logged in", loginResponse{
		Token: res.Session.Token, TokenType: "Bearer", ExpiresAt: res.Session.Session.ExpiresAt.UTC(),
		Session: toSession(res.Session.Session), User: toUser(res.User), MFAEnrolment: httpapi.MFAEnrolmentOf(res.Session),
	})
}

func (h handlers) me(c *fiber.Ctx) error {
	v, err := h.svc.Me(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return httpapi.OK(c, "current user", currentUser(toUser(v)))
}

func (h handlers) updateProfile(c *fiber.Ctx) error {
	var req updateProfileRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	out, err := h.svc.UpdateProfile(c.UserContext(), httpapi.Principal(c), identityport.UpdateProfileCommand{
		Name: req.Name, Email: req.Email, CurrentPassword: req.CurrentPassword,
	})
	if err != nil {
		return err
	}
	res := profileUpdatedResponse{userResponse: toUser(out.User)}
	if out.PendingEmail == "" {
		return httpapi.OK(c, "profile updated", res)
	}
	at := out.PendingExpiresAt.UTC()
	res.PendingEmail, res.PendingEmailExpiresAt = out.PendingEmail, &at
	return httpapi.Respond(c, fiber.StatusAccepted,
		"a confirmation link was mailed to the new address; the email changes once it is opened", res)
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
	// The body is optional: an account without a password re-authenticates
	// by a recent sign-in and has nothing to send.
	var req deleteAccountRequest
	if len(c.Body()) > 0 || len(c.Get(fiber.HeaderContentType)) > 0 {
		if err := httpapi.Decode(c, &req); err != nil {
			return err
		}
	}
	if err := h.svc.DeleteAccount(c.UserContext(), httpapi.Principal(c), identityport.DeleteAccountCommand{
		CurrentPassword: req.CurrentPassword,
	}); err != nil {
		return err
	}
	return httpapi.OK(c, "account deleted", nil)
}

func (h handlers) verifyEmail(c *fiber.Ctx) error {
	var req tokenRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	out, err := h.svc.VerifyEmail(c.UserContext(), identityport.VerifyEmailCommand{Token: req.Token})
	if err != nil {
		return err
	}
	msg := "email verified"
	if out.Changed {
		msg = "email changed and verified; other sessions were signed out"
	}
	if len(out.Unlinked) > 0 {
		msg += "; sign-in providers that never confirmed this address were unlinked"
	}
	return httpapi.OK(c, msg, emailConfirmedResponse{
		UserID: out.UserID.String(), Email: out.Email, EmailVerified: true, EmailChanged: out.Changed,
		SessionsRevoked: out.SessionsRevoked, IdentitiesUnlinked: unlinkedProviders(out.Unlinked),
	})
}

func (h handlers) resendVerification(c *fiber.Ctx) error {
	out, err := h.svc.ResendVerification(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	return httpapi.Respond(c, fiber.StatusAccepted, "a verification link was mailed",
		verificationSentResponse{Email: out.Email, ExpiresAt: out.ExpiresAt.UTC()})
}

func (h handlers) forgotPassword(c *fiber.Ctx) error {
	var req forgotPasswordRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	if err := h.svc.ForgotPassword(c.UserContext(), identityport.ForgotPasswordCommand{Email: req.Email}); err != nil {
		return err
	}
	return httpapi.Respond(c, fiber.StatusAccepted,
		"if an account has this address, a link to reset its password is on its way", nil)
}

func (h handlers) resetPassword(c *fiber.Ctx) error {
	var req resetPasswordRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	out, err := h.svc.ResetPassword(c.UserContext(), identityport.ResetPasswordCommand{
		Token: req.Token, NewPassword: req.NewPassword,
	})
	if err != nil {
		return err
	}
	msg := "password reset; every session was signed out"
	if len(out.Unlinked) > 0 {
		msg += "; sign-in providers that never confirmed this address were unlinked"
	}
	return httpapi.OK(c, msg, passwordResetResponse{
		SessionsRevoked: out.SessionsRevoked, IdentitiesUnlinked: unlinkedProviders(out.Unlinked),
	})
}
