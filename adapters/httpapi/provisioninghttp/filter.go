package provisioninghttp

import (
	"encoding/json"
	"strings"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
)

// A filter is read by the small parser below rather than a SCIM filter
// library: the list endpoint answers exactly the equality filters identity
// providers send to find a User before they create it (Okta:
// `userName eq "…"`, Entra ID: `userName eq "…"` or `externalId eq "…"`),
// and a full RFC 7644 §3.4.2.2 grammar would accept filters (co, sw, gt,
// and, or, not, value paths) the store cannot answer with an index, only to
// refuse them afterwards. Anything else is 400 invalidFilter.

// maxFilterLength bounds a filter before it is read.
const maxFilterLength = 512

type equality struct {
	attr  string // lower case: "username" or "externalid"
	value string
}

func invalidFilter(reason string) error {
	return shared.Invalid(provisioning.CodeInvalidFilter, "the filter is not supported: "+reason, nil)
}

// parseFilter reads `attrPath eq "value"`, where attrPath is userName or
// externalId (case-insensitively, optionally with the User schema's URN)
// and value a JSON string.
func parseFilter(raw string) (equality, error) {
	if len(raw) > maxFilterLength {
		return equality{}, invalidFilter("it is too long")
	}
	attr, rest, ok := strings.Cut(strings.TrimSpace(raw), " ")
	if !ok {
		return equality{}, invalidFilter(`expected attribute eq "value"`)
	}
	op, value, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !ok || !strings.EqualFold(op, "eq") {
		return equality{}, invalidFilter(`only the eq operator is supported, as in userName eq "someone@example.com"`)
	}
	attr = strings.ToLower(attr)
	attr = strings.TrimPrefix(attr, strings.ToLower(SchemaUser)+":")
	if attr != "username" && attr != "externalid" {
		return equality{}, invalidFilter("only userName and externalId can be filtered on")
	}
	var s string
	value = strings.TrimSpace(value)
	if !strings.HasPrefix(value, `"`) || json.Unmarshal([]byte(value), &s) != nil {
		return equality{}, invalidFilter("the value must be a quoted string")
	}
	return equality{attr: attr, value: s}, nil
}
