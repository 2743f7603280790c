package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// ProtocolPaths are the prefixes of the protocol group: OAuth 2.0 and
// OpenID Connect endpoints and discovery documents. Protocols with an error
// format of their own (SCIM's, SAML's) add their own group.
var ProtocolPaths = []string{"/oauth2/", "/.well-known/"}

// protocolCodes maps a status to its RFC 6749 §5.2 error code (Fiber's
// routing errors, the edge's refusals, typed errors from below). Endpoints
// whose errors need a finer code (invalid_grant, invalid_scope, ...) write
// them themselves, as the protocol library they use does.
var protocolCodes = map[int]string{
	fiber.StatusBadRequest:                  "invalid_request",
	fiber.StatusUnauthorized:                "invalid_client",
	fiber.StatusForbidden:                   "access_denied",
	fiber.StatusNotFound:                    "not_found",
	fiber.StatusMethodNotAllowed:            "invalid_request",
	fiber.StatusRequestTimeout:              "invalid_request",
	fiber.StatusConflict:                    "invalid_request",
	fiber.StatusRequestEntityTooLarge:       "invalid_request",
	fiber.StatusUnsupportedMediaType:        "invalid_request",
	fiber.StatusRequestHeaderFieldsTooLarge: "invalid_request",
	fiber.StatusTooManyRequests:             "temporarily_unavailable",
	fiber.StatusServiceUnavailable:          "temporarily_unavailable",
	fiber.StatusInternalServerError:         "server_error",
}

type protocolBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// ProtocolRenderer answers errors as RFC 6749 §5.2 JSON: {"error": code,
// "error_description": text}, never cached (RFC 6749 §5.1). Discovery
// documents and JWKS use the same bare JSON for their errors. The code
// follows the status; the description is the problem's message.
var ProtocolRenderer Renderer = RendererFunc(renderProtocol)

func renderProtocol(c *fiber.Ctx, p Problem) error {
	code, ok := protocolCodes[p.Status]
	if !ok {
		code = "invalid_request"
		if p.Status >= 500 {
			code = "server_error"
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Pragma", "no-cache")
	return c.Status(p.Status).JSON(protocolBody{Error: code, Description: p.Message})
}
