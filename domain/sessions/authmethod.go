package sessions

import (
	"strings"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of an AuthMethod.
const (
	maxMethodKind      = 32
	maxMethodQualifier = 64
	maxAMRValues       = 8
	maxAMRValue        = 32
)

// AuthMethod says how a session's user proved who they are: a method name
// and the authentication method references (RFC 8176 "amr" values) it
// stands for. The name is a kind, optionally qualified by what it used:
// "password", "social:github", "oidc:acme", "saml:<connection id>",
// "sso-oidc:<connection id>", "mfa". Later methods add names without
// changing the shape.
//
// Invariants: the kind is 1 to 32 characters of a-z, 0-9, "_" and "-",
// starting with a letter and not ending with "-" (a hyphen joins two words,
// as in "sso-oidc"); a qualifier, when present, is 1 to 64 characters of
// letters, digits, ".", "_" and "-"; there are 1 to 8 amr values, each 1 to
// 32 characters of a-z, 0-9 and "_", without duplicates, in the given order.
// The value is comparable: amr values are kept joined by spaces.
type AuthMethod struct {
	name string
	amr  string
}

// MethodPassword is a sign-in with an email and a password.
var MethodPassword = AuthMethod{name: "password", amr: "pwd"}

// ParseAuthMethod checks and builds a method (also how adapters read a
// stored one).
func ParseAuthMethod(name string, amr []string) (AuthMethod, error) {
	if !validMethodName(name) {
		return AuthMethod{}, shared.Invalid(CodeInvalid, "unknown form of authentication method "+quoteShort(name), nil)
	}
	if len(amr) == 0 || len(amr) > maxAMRValues {
		return AuthMethod{}, shared.Invalid(CodeInvalid, "an authentication method needs 1 to 8 amr values", nil)
	}
	seen := make(map[string]bool, len(amr))
	for _, v := range amr {
		if !validAMR(v) || seen[v] {
			return AuthMethod{}, shared.Invalid(CodeInvalid, "invalid or repeated amr value "+quoteShort(v), nil)
		}
		seen[v] = true
	}
	return AuthMethod{name: name, amr: strings.Join(amr, " ")}, nil
}

// Name is the method's name ("password", "social:github").
func (m AuthMethod) Name() string { return m.name }

// Kind is the name without its qualifier ("social" for "social:github").
func (m AuthMethod) Kind() string {
	k, _, _ := strings.Cut(m.name, ":")
	return k
}

// AMR returns a fresh copy of the amr values, in order.
func (m AuthMethod) AMR() []string {
	if m.amr == "" {
		return nil
	}
	return strings.Split(m.amr, " ")
}

// String returns the name.
func (m AuthMethod) String() string { return m.name }

// IsZero reports the zero value.
func (m AuthMethod) IsZero() bool { return m.name == "" }

func validMethodName(s string) bool {
	kind, qual, qualified := strings.Cut(s, ":")
	if len(kind) == 0 || len(kind) > maxMethodKind || kind[0] < 'a' || kind[0] > 'z' {
		return false
	}
	for i := 0; i < len(kind); i++ {
		if !lowerWord(kind[i]) && kind[i] != '-' {
			return false
		}
	}
	if kind[len(kind)-1] == '-' {
		return false
	}
	if !qualified {
		return true
	}
	if len(qual) == 0 || len(qual) > maxMethodQualifier {
		return false
	}
	for i := 0; i < len(qual); i++ {
		c := qual[i]
		if !lowerWord(c) && !(c >= 'A' && c <= 'Z') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func validAMR(s string) bool {
	if len(s) == 0 || len(s) > maxAMRValue {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !lowerWord(s[i]) {
			return false
		}
	}
	return true
}

func lowerWord(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' }

// quoteShort quotes at most the first 40 bytes of s for an error message.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
