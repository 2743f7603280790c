package oauthhttp

import (
	"context"
	"encoding/base64"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/ory/fosite"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

// clientGate holds, for one protocol request, the client it names (by
// HTTP Basic or the client_id field) and the caller's address, so that a
// failed authentication is counted and a client that failed too often is
// refused before its secret is checked again (oauthport.Provider's
// ClientAuthAllowed and ClientAuthFailed).
type clientGate struct {
	p      *Protocol
	client *oauthport.ProtocolClient
	ip     string
}

// gate reads the client the request names; a name that is no live client
// (the library answers invalid_client for it) has no gate.
func (p *Protocol) gate(c *fiber.Ctx) (clientGate, error) {
	g := clientGate{p: p, ip: httpapi.ClientIP(c)}
	id := presentedClientID(c)
	if id == "" {
		return g, nil
	}
	pc, err := p.provider.Client(c.UserContext(), id)
	switch {
	case errors.Is(err, oauth.ErrClientNotFound):
		return g, nil
	case err != nil:
		return g, err
	}
	g.client = &pc
	return g, nil
}

// presentedClientID is the client id of HTTP Basic credentials (form-
// encoded, RFC 6749 §2.3.1), else of the client_id field.
func presentedClientID(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); len(h) > 6 && strings.EqualFold(h[:6], "basic ") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
		if err != nil {
			return ""
		}
		user, _, _ := strings.Cut(string(raw), ":")
		id, err := url.QueryUnescape(user)
		if err != nil {
			return ""
		}
		return id
	}
	return c.FormValue("client_id")
}

// admit refuses the request when its client failed to authenticate too
// often: 429 with Retry-After, in the RFC 6749 error format. It reports
// whether the response was written.
func (g clientGate) admit(c *fiber.Ctx, ctx context.Context) (bool, error) {
	if g.client == nil {
		return false, nil
	}
	err := g.p.provider.ClientAuthAllowed(ctx, *g.client, g.ip)
	if err == nil {
		return false, nil
	}
	var e *shared.Error
	if !errors.As(err, &e) || e.Kind() != shared.KindRateLimited {
		return false, err
	}
	w := httpapi.NewBufferedResponse()
	w.Header().Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(e.RetryAfter().Seconds())))))
	g.p.oauth.WriteAccessError(ctx, w, nil, &fosite.RFC6749Error{
		ErrorField:       "temporarily_unavailable",
		DescriptionField: "Too many failed client authentications. Retry after the delay in Retry-After.",
		CodeField:        fiber.StatusTooManyRequests,
	})
	return true, w.WriteTo(c)
}

// settle counts err when it is a failed client authentication.
func (g clientGate) settle(ctx context.Context, err error) error {
	if g.client == nil || !errors.Is(err, fosite.ErrInvalidClient) {
		return nil
	}
	return g.p.provider.ClientAuthFailed(ctx, *g.client, g.ip)
}
