package federation

import "github.com/secuird/authy/domain/shared"

// maxProviderName bounds a provider's name (it qualifies session methods,
// whose qualifier holds at most 64 characters).
const maxProviderName = 32

// ProviderName names a configured provider ("google", "github",
// "microsoft", or an OpenID Connect provider's own name such as "acme").
//
// Invariants: 1 to 32 characters of a-z, 0-9 and "-", starting with a
// letter, not ending with "-".
type ProviderName struct{ value string }

// ParseProviderName checks a provider's name.
func ParseProviderName(s string) (ProviderName, error) {
	if !validProviderName(s) {
		return ProviderName{}, shared.Invalid(CodeInvalidInput, "invalid provider name",
			map[string][]string{"provider": {"must be 1 to 32 characters of a-z, 0-9 and -, starting with a letter"}})
	}
	return ProviderName{value: s}, nil
}

// String returns the name.
func (p ProviderName) String() string { return p.value }

// IsZero reports the zero value.
func (p ProviderName) IsZero() bool { return p.value == "" }

func validProviderName(s string) bool {
	if len(s) == 0 || len(s) > maxProviderName || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// ProviderKind is how Authy talks to a provider: one of the social
// providers (google, github, microsoft) or a standard OpenID Connect
// provider (oidc).
type ProviderKind struct{ value string }

// The kinds.
var (
	KindGoogle    = ProviderKind{"google"}
	KindGitHub    = ProviderKind{"github"}
	KindMicrosoft = ProviderKind{"microsoft"}
	KindOIDC      = ProviderKind{"oidc"}
)

// ParseProviderKind reads a kind's name.
func ParseProviderKind(s string) (ProviderKind, error) {
	for _, k := range []ProviderKind{KindGoogle, KindGitHub, KindMicrosoft, KindOIDC} {
		if k.value == s {
			return k, nil
		}
	}
	return ProviderKind{}, shared.Invalid(CodeInvalidInput, "unknown provider kind", nil)
}

// String returns the kind's name.
func (k ProviderKind) String() string { return k.value }

// IsZero reports the zero value.
func (k ProviderKind) IsZero() bool { return k.value == "" }

// MethodName is the session method a sign-in through a provider of kind k
// named p records: "oidc:<name>" for OpenID Connect providers,
// "social:<name>" for the others.
func MethodName(k ProviderKind, p ProviderName) string {
	if k == KindOIDC {
		return "oidc:" + p.value
	}
	return "social:" + p.value
}
