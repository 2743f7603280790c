// Package mfahttp is the inbound HTTP adapter of the mfa context under
// /api/v1, in the envelope, with its OpenAPI fragment: a user's factors
// (TOTP enrolment and confirmation, the list, removal), recovery codes,
// the factor check that satisfies step-up, and the second step of a
// password sign-in (POST /auth/login/mfa).
//
// It imports Fiber, httpapi and ports, never application/.
package mfahttp

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/sessionsport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type handlers struct{ svc mfaport.Service }

// Register mounts the routes on r (the /api/v1 group).
func Register(r fiber.Router, svc mfaport.Service, auth sessionsport.Authenticator) {
	h := handlers{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/auth/login/mfa", h.completeLogin)
	r.Get("/users/me/mfa", authed, h.list)
	r.Post("/users/me/mfa/totp", authed, h.startTOTP)
	r.Post("/users/me/mfa/totp/:id/confirm", authed, h.confirmTOTP)
	r.Delete("/users/me/mfa/factors/:id", authed, h.remove)
	r.Post("/users/me/mfa/recovery-codes", authed, h.regenerate)
	r.Post("/users/me/mfa/verify", authed, h.verify)
}

type proofRequest struct {
	TOTP         string `json:"totp"`
	RecoveryCode string `json:"recovery_code"`
}

func (p proofRequest) proof() mfaport.Proof {
	return mfaport.Proof{TOTP: p.TOTP, RecoveryCode: p.RecoveryCode}
}

type completeLoginRequest struct {
	Challenge    string           `json:"challenge"`
	TOTP         string           `json:"totp"`
	RecoveryCode string           `json:"recovery_code"`
	WebAuthn     *webauthnRequest `json:"webauthn"`
}

// webauthnRequest is a passkey assertion: the ceremony begun at POST
// /auth/webauthn/login/begin and the PublicKeyCredential.
type webauthnRequest struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"`
}

type confirmRequest struct {
	Code string `json:"code"`
}

type factorResponse struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}

type factorsResponse struct {
	Enabled           bool             `json:"enabled"`
	Factors           []factorResponse `json:"factors"`
	RecoveryCodesLeft int              `json:"recovery_codes_left"`
}

type enrolmentResponse struct {
	FactorID   string `json:"factor_id"`
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

type confirmedResponse struct {
	Factor        factorResponse `json:"factor"`
	RecoveryCodes []string       `json:"recovery_codes"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

type verifiedResponse struct {
	VerifiedUntil time.Time `json:"verified_until"`
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
	Token             string          `json:"token"`
	TokenType         string          `json:"token_type"`
	ExpiresAt         time.Time       `json:"expires_at"`
	Session           sessionResponse `json:"session"`
	User              userResponse    `json:"user"`
	AMR               []string        `json:"amr"`
	RecoveryCodesLeft *int            `json:"recovery_codes_left,omitempty"`
	httpapi.MFAEnrolment
}

func toFactor(v mfaport.FactorView) factorResponse {
	out := factorResponse{ID: v.ID.String(), Kind: v.Kind, Status: "pending", CreatedAt: v.CreatedAt.UTC()}
	if v.Confirmed {
		t := v.ConfirmedAt.UTC()
		out.Status, out.ConfirmedAt = "active", &t
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

// loginBody is the body of a completed sign-in, identity's login answer
// with the session's amr.
func loginBody(res mfaport.LoginCompleted) loginResponse {
	s := res.Session.Session
	return loginResponse{
		Token: res.Session.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt.UTC(),
		Session: sessionResponse{
			ID: s.ID.String(), CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			AbsoluteExpiresAt: s.AbsoluteExpiresAt.UTC(), IP: s.IP, UserAgent: s.UserAgent, Current: s.Current,
		},
		User: toUser(res.User), AMR: s.Method.AMR(), RecoveryCodesLeft: res.RecoveryCodesLeft,
		MFAEnrolment: httpapi.MFAEnrolmentOf(res.Session),
	}
}

func factorID(c *fiber.Ctx) (uuid.UUID, error) {
	raw := c.Params("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, mfa.ErrFactorNotFound
	}
	return id, nil
}

func (h handlers) completeLogin(c *fiber.Ctx) error {
	var req completeLoginRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	proof := mfaport.Proof{TOTP: req.TOTP, RecoveryCode: req.RecoveryCode}
	if req.WebAuthn != nil {
		proof.WebAuthn = &mfaport.WebAuthnAssertion{Ceremony: req.WebAuthn.Ceremony, Credential: req.WebAuthn.Credential}
	}
	res, err := h.svc.CompleteLogin(c.UserContext(), mfaport.CompleteLoginCommand{Challenge: req.Challenge, Proof: proof})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.OK(c, "logged in", loginBody(res))
}

func (h handlers) list(c *fiber.Ctx) error {
	f, err := h.svc.ListFactors(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	out := factorsResponse{Factors: make([]factorResponse, 0, len(f.Items)), RecoveryCodesLeft: f.RecoveryCodesLeft}
	for _, v := range f.Items {
		out.Factors = append(out.Factors, toFactor(v))
		if v.Confirmed {
			out.Enabled = true
		}
	}
	return httpapi.OK(c, "multi-factor sign-in", out)
}

func (h handlers) startTOTP(c *fiber.Ctx) error {
	e, err := h.svc.StartTOTP(c.UserContext(), httpapi.Principal(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.Created(c, "TOTP enrolment started; confirm it with a first code",
		enrolmentResponse{FactorID: e.FactorID.String(), Secret: e.Secret, OTPAuthURI: e.URI})
}

func (h handlers) confirmTOTP(c *fiber.Ctx) error {
	id, err := factorID(c)
	if err != nil {
		return err
	}
	var req confirmRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	res, err := h.svc.ConfirmTOTP(c.UserContext(), httpapi.Principal(c), id, req.Code)
	if err != nil {
		return err
	}
	codes := res.RecoveryCodes
	if codes == nil {
		codes = []string{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.OK(c, "TOTP authenticator confirmed", confirmedResponse{Factor: toFactor(res.Factor), RecoveryCodes: codes})
}

// optionalProof reads a proof from a body that may be empty.
func optionalProof(c *fiber.Ctx) (mfaport.Proof, error) {
	var req proofRequest
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return mfaport.Proof{}, nil
	}
	if err := httpapi.Decode(c, &req); err != nil {
		return mfaport.Proof{}, err
	}
	return req.proof(), nil
}

func (h handlers) remove(c *fiber.Ctx) error {
	id, err := factorID(c)
	if err != nil {
		return err
	}
	proof, err := optionalProof(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveFactor(c.UserContext(), httpapi.Principal(c), id, proof); err != nil {
		return err
	}
	return httpapi.OK(c, "factor removed", nil)
}

func (h handlers) regenerate(c *fiber.Ctx) error {
	proof, err := optionalProof(c)
	if err != nil {
		return err
	}
	codes, err := h.svc.RegenerateRecoveryCodes(c.UserContext(), httpapi.Principal(c), proof)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return httpapi.Created(c, "new recovery codes; the old ones no longer work", recoveryCodesResponse{RecoveryCodes: codes})
}

func (h handlers) verify(c *fiber.Ctx) error {
	var req proofRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	until, err := h.svc.VerifyFactor(c.UserContext(), httpapi.Principal(c), req.proof())
	if err != nil {
		return err
	}
	return httpapi.OK(c, "factor verified", verifiedResponse{VerifiedUntil: until.UTC()})
}
