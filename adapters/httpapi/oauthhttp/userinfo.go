package oauthhttp

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

// bearerError answers a userinfo request RFC 6750 §3's way: the status,
// a WWW-Authenticate challenge naming the error, and the same error as
// JSON.
func bearerError(c *fiber.Ctx, status int, code, description string) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="`+code+`", error_description="`+description+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(fiber.Map{"error": code, "error_description": description})
}

// userinfo is the UserInfo endpoint (OpenID Connect Core §5.3): the claims
// of the access token's scopes about its user, read fresh. The token comes
// in the Authorization header (or, on a POST, the access_token form
// field); it must be a live access token of a user grant with the openid
// scope, of a client that still exists.
func (b *browserFlow) userinfo(c *fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok && c.Method() == fiber.MethodPost && strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		if form, err := url.ParseQuery(string(c.Body())); err == nil && len(form["access_token"]) == 1 {
			token, ok = form.Get("access_token"), true
		}
	}
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="`+b.p.settings.Issuer+`"`)
		return bearerError(c, fiber.StatusUnauthorized, "invalid_request", "An access token is required.")
	}
	if len(token) > maxTokenLength {
		return bearerError(c, fiber.StatusUnauthorized, "invalid_token", "The access token is not valid.")
	}
	ctx := c.UserContext()
	tu, ar, err := b.p.oauth.IntrospectToken(ctx, token, fosite.AccessToken, newSession())
	if err != nil || tu != fosite.AccessToken {
		if err != nil && unavailable(err) {
			return err
		}
		return bearerError(c, fiber.StatusUnauthorized, "invalid_token", "The access token is not valid.")
	}
	sub := ar.GetSession().GetSubject()
	id, perr := uuid.Parse(sub)
	if perr != nil || sub == ar.GetClient().GetID() {
		return bearerError(c, fiber.StatusForbidden, "insufficient_scope", "The access token is not a user's.")
	}
	if !ar.GetGrantedScopes().Has("openid") {
		return bearerError(c, fiber.StatusForbidden, "insufficient_scope", "The access token lacks the openid scope.")
	}
	if _, err := b.p.provider.Client(ctx, ar.GetClient().GetID()); err != nil {
		if unavailable(err) {
			return err
		}
		return bearerError(c, fiber.StatusUnauthorized, "invalid_token", "The access token is not valid.")
	}
	claims, err := b.Authorizer.UserInfo(ctx, shared.UserID(id), ar.GetGrantedScopes())
	if shared.KindOf(err) == shared.KindNotFound {
		return bearerError(c, fiber.StatusUnauthorized, "invalid_token", "The access token's user no longer exists.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(claims)
}

// maxTokenLength bounds a presented access token (a JWT access token is
// well below).
const maxTokenLength = 4096

// logout is RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
// A post_logout_redirect_uri must be registered for the client the
// id_token_hint (or client_id) names, else the browser stays here on an
// error page: it is never sent to an address the client did not register.
// With a valid hint of the signed-in user, the Authy session ends and the
// browser goes to the redirect URI (with state); without one, nothing
// proves the sign-out was asked for, so the browser is sent to the
// sign-out page, which asks.
func (b *browserFlow) logout(c *fiber.Ctx) error {
	var raw string
	if c.Method() == fiber.MethodPost {
		raw = string(c.Body())
	} else {
		raw = string(c.Request().URI().QueryString())
	}
	if len(raw) > maxAuthorizeQuery {
		return errBadAuthorize
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return errBadAuthorize
	}
	for _, k := range []string{"id_token_hint", "post_logout_redirect_uri", "state", "client_id"} {
		if len(v[k]) > 1 {
			return errBadAuthorize
		}
	}
	ctx := c.UserContext()
	var hint *hintClaims
	if h := v.Get("id_token_hint"); h != "" {
		claims, err := verifyIDTokenHint(ctx, b.p.keys, b.p.settings.Issuer, h)
		if err != nil {
			if unavailable(err) {
				return err
			}
			return errIDTokenHintBroken
		}
		hint = &claims
	}
	clientID := v.Get("client_id")
	if hint != nil {
		if clientID != "" && !hint.Audience.Contains(clientID) {
			return errIDTokenHintBroken
		}
		if clientID == "" && len(hint.Audience) == 1 {
			clientID = hint.Audience[0]
		}
	}
	target := ""
	if pl := v.Get("post_logout_redirect_uri"); pl != "" {
		if clientID == "" {
			return errLogoutRedirect
		}
		pc, err := b.p.provider.Client(ctx, clientID)
		if err != nil {
			if unavailable(err) {
				return err
			}
			return errLogoutRedirect
		}
		if !registeredLogoutURI(pc, pl) {
			return errLogoutRedirect
		}
		target = pl
		if st := v.Get("state"); st != "" {
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + "state=" + url.QueryEscape(st)
		}
	}
	p, signedIn, err := b.session(c)
	if err != nil {
		return err
	}
	if signedIn && (hint == nil || hint.Subject != p.UserID.String()) {
		// Nothing proves this browser's user asked to sign out here.
		return c.Redirect("/logout", fiber.StatusSeeOther)
	}
	if signedIn {
		if err := b.Sessions.Logout(ctx, p); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
			return err
		}
		b.Browser.ClearSession(c)
	}
	if target == "" {
		return c.Redirect("/logout", fiber.StatusSeeOther)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

func registeredLogoutURI(pc oauthport.ProtocolClient, requested string) bool {
	for _, raw := range pc.PostLogoutRedirectURIs {
		if raw == requested {
			return true
		}
	}
	return false
}
