package pageshttp

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
)

// SecondFactor is what the sign-in page's code step needs of the mfa
// context.
type SecondFactor interface {
	CompleteLogin(ctx context.Context, cmd mfaport.CompleteLoginCommand) (mfaport.LoginCompleted, error)
}

// renderMFA shows the code step of a sign-in whose password passed.
func (h handlers) renderMFA(c *fiber.Ctx, status int, target, challenge, problem string) error {
	token, err := h.Browser.LoginCSRF(c)
	if err != nil {
		return err
	}
	m := messages(c)
	return h.Pages.render(c, status, "login_mfa", view{
		M: m, Title: m.T("login_mfa.title"), CSRF: token, ReturnTo: target, Token: challenge, Error: problem,
		Passkeys: h.Passkeys != nil,
	})
}

// proofOf reads the one code field: six digits are an authenticator's
// code, anything else a recovery code.
func proofOf(code string) mfaport.Proof {
	code = strings.TrimSpace(code)
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		return mfaport.Proof{TOTP: code}
	}
	return mfaport.Proof{RecoveryCode: code}
}

// loginMFAForm shows the code step of a sign-in that passed its first
// factor elsewhere (an external provider's callback sends the browser here
// with the challenge); without one it starts over at /login.
func (h handlers) loginMFAForm(c *fiber.Ctx) error {
	challenge := strings.Clone(c.Query("challenge"))
	target, _ := h.returnTarget(c, strings.Clone(c.Query("return_to")))
	if challenge == "" || len(challenge) > 128 {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	c.Set("Referrer-Policy", "no-referrer")
	return h.renderMFA(c, fiber.StatusOK, target, challenge, "")
}

// loginMFA answers the code step: a valid code puts the new session in the
// cookie like a password sign-in; a wrong one shows the step again while
// the challenge lasts; a challenge that no longer works starts over.
func (h handlers) loginMFA(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "challenge", "code", "ceremony", "credential", httpapi.FieldCSRFToken, "return_to")
	if err != nil {
		return err
	}
	if err := h.Browser.CheckLoginCSRF(c, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return err
	}
	target, _ := h.returnTarget(c, f.Get("return_to"))
	previous, hadSession, err := h.signedIn(c)
	if err != nil {
		return err
	}
	ctx := httpapi.WithCookieTransport(c.UserContext())
	proof, wrong := proofOf(f.Get("code")), "login_mfa.invalid_code"
	if f.Get("ceremony") != "" {
		// The page's script answered with a passkey instead of a code.
		proof = mfaport.Proof{WebAuthn: &mfaport.WebAuthnAssertion{Ceremony: f.Get("ceremony"), Credential: json.RawMessage(f.Get("credential"))}}
		wrong = "login.passkey_failed"
	}
	res, err := h.MFA.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: f.Get("challenge"), Proof: proof})
	m := messages(c)
	switch kind := shared.KindOf(err); {
	case err == nil:
	case kind == shared.KindUnauthenticated:
		return h.renderLogin(c, fiber.StatusUnauthorized, target, "", m.T("login_mfa.restart_needed"), nil)
	case kind == shared.KindInvalid:
		return h.renderMFA(c, fiber.StatusBadRequest, target, f.Get("challenge"), m.T(wrong))
	default:
		return err
	}
	if hadSession {
		if err := h.Sessions.Logout(ctx, previous); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
			return err
		}
	}
	h.Browser.SetSession(c, res.Session.Token, res.Session.Session.AbsoluteExpiresAt)
	return redirect(c, httpapi.AfterSignIn(res.Session, Or(target)))
}
