package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// FlowBinding is the cookie that binds a sign-in started at another
// identity provider (a social provider, an organization's connection) to
// the browser that started it: 256 random bits, HttpOnly, Path=/, with the
// "__Host-" name on https. Only its hash is kept with the flow, so a
// callback or a response arriving in another browser is refused. Name is
// the cookie's base name; Lifetime should outlive the flow. CrossSitePost
// is for a provider that answers with a POST from its own site (SAML's
// POST binding): on https the cookie is then SameSite=None, since a Lax
// cookie does not travel with a cross-site POST (it proves only that the
// browser that started a flow finishes it, so no other site can do
// anything with it); browsers refuse None without Secure, so on plain http
// (development, loopback, where both ends are one site) it stays Lax.
type FlowBinding struct {
	Name          string
	Lifetime      time.Duration
	CrossSitePost bool
}

// CookieName is the binding cookie's name for b.
func (f FlowBinding) CookieName(b *Browser) string {
	if b.Secure() {
		return hostPrefix + f.Name
	}
	return f.Name
}

// Presented returns (a copy of) the binding the browser sent, or "".
func (f FlowBinding) Presented(c *fiber.Ctx, b *Browser) string {
	return utils.CopyString(c.Cookies(f.CookieName(b)))
}

// Bind returns the browser's binding value, making one when it has none
// (or a malformed one), and sets the cookie again so that it outlives the
// flow being started. Flows started in several tabs share it.
func (f FlowBinding) Bind(c *fiber.Ctx, b *Browser) (string, error) {
	v := c.Cookies(f.CookieName(b))
	if !validFlowBinding(v) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		v = base64.RawURLEncoding.EncodeToString(raw)
	} else {
		v = utils.CopyString(v)
	}
	sameSite := fiber.CookieSameSiteLaxMode
	if f.CrossSitePost && b.Secure() {
		sameSite = fiber.CookieSameSiteNoneMode
	}
	c.Cookie(&fiber.Cookie{
		Name: f.CookieName(b), Value: v, Path: "/", Expires: b.now().Add(f.Lifetime).UTC(),
		Secure: b.Secure(), HTTPOnly: true, SameSite: sameSite,
	})
	return v, nil
}

func validFlowBinding(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}
