package pageshttp

import (
	"context"
	_ "embed"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
)

// Passkeys is what the sign-in page needs of the passkey context: the end
// of a passwordless sign-in (its beginning is the JSON API's, which the
// page's script calls).
type Passkeys interface {
	FinishLogin(ctx context.Context, cmd passkeyport.FinishLoginCommand) (passkeyport.LoginCompleted, error)
}

//go:embed static/passkey.js
var passkeyScript []byte

// passkeyScriptPath is where the sign-in page's one script is served.
const passkeyScriptPath = "/assets/passkey.js"

func servePasskeyScript(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(passkeyScript)
}

// loginPasskey finishes a passwordless sign-in the page's script began:
// the assertion is checked by the passkey context, and the session goes
// in the cookie like a password sign-in's (the browser's previous one
// ends); an account that still owes a second factor gets the code step.
func (h handlers) loginPasskey(c *fiber.Ctx) error {
	f, err := httpapi.DecodeForm(c, "ceremony", "credential", httpapi.FieldCSRFToken, "return_to")
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
	res, err := h.Passkeys.FinishLogin(ctx, passkeyport.FinishLoginCommand{
		Ceremony: f.Get("ceremony"), Credential: json.RawMessage(f.Get("credential")),
	})
	m := messages(c)
	switch kind := shared.KindOf(err); {
	case err == nil:
	case kind == shared.KindUnauthenticated || kind == shared.KindInvalid:
		return h.renderLogin(c, fiber.StatusUnauthorized, target, "", m.T("login.passkey_failed"), nil)
	default:
		return err
	}
	if res.MFA != nil {
		return h.renderMFA(c, fiber.StatusOK, target, res.MFA.Token, "")
	}
	if hadSession {
		if err := h.Sessions.Logout(ctx, previous); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
			return err
		}
	}
	h.Browser.SetSession(c, res.Session.Token, res.Session.Session.AbsoluteExpiresAt)
	return redirect(c, httpapi.AfterSignIn(res.Session, Or(target)))
}
