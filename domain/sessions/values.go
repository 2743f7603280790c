package sessions

import (
	"encoding/hex"

	"github.com/secuird/authy/domain/shared"
)

// maxTokenHashBytes bounds a token hash (SHA-512 fits).
const maxTokenHashBytes = 64

// TokenHash is the opaque digest of a bearer token. The domain never sees
// the token itself, and no store ever holds it.
type TokenHash struct{ b string }

// NewTokenHash wraps a digest of 16 to 64 bytes.
func NewTokenHash(b []byte) (TokenHash, error) {
	if len(b) < 16 || len(b) > maxTokenHashBytes {
		return TokenHash{}, shared.Invalid(CodeInvalid, "a token hash has 16 to 64 bytes", nil)
	}
	return TokenHash{b: string(b)}, nil
}

// Bytes returns a copy of the digest.
func (h TokenHash) Bytes() []byte { return []byte(h.b) }

// String returns the digest in lower-case hex (used as a cache key).
func (h TokenHash) String() string { return hex.EncodeToString([]byte(h.b)) }

// IsZero reports the zero value.
func (h TokenHash) IsZero() bool { return h.b == "" }

// Status is where a session is in its life.
type Status struct{ s string }

// The statuses. A session starts active and ends exactly once, revoked or
// expired.
var (
	StatusActive  = Status{"active"}
	StatusRevoked = Status{"revoked"}
	StatusExpired = Status{"expired"}
)

// ParseStatus reads a stored status.
func ParseStatus(s string) (Status, error) {
	switch s {
	case StatusActive.s, StatusRevoked.s, StatusExpired.s:
		return Status{s}, nil
	}
	return Status{}, shared.Invalid(CodeInvalid, "unknown session status "+s, nil)
}

// String returns the stored form ("active", "revoked", "expired").
func (s Status) String() string { return s.s }

// IsZero reports the zero value.
func (s Status) IsZero() bool { return s.s == "" }

// Reason says why a session was revoked.
type Reason struct{ r string }

// The revocation reasons, recorded in audit details.
var (
	ReasonLogout          = Reason{"logout"}
	ReasonUser            = Reason{"user"}
	ReasonPasswordChanged = Reason{"password_changed"}
	ReasonAccountDeleted  = Reason{"account_deleted"}
	// ReasonPasswordReset ends every session when a mailed reset link sets
	// a new password; ReasonEmailChanged ends the others when the account
	// switches to a confirmed new address.
	ReasonPasswordReset = Reason{"password_reset"}
	ReasonEmailChanged  = Reason{"email_changed"}
	// ReasonIdentityUnlinked ends the sessions signed in through an
	// external identity that was unlinked when the account's owner proved
	// the email address (the identity never vouched for it).
	ReasonIdentityUnlinked = Reason{"identity_unlinked"}
	// ReasonDeprovisioned ends every session of a person their
	// organization's identity provider deactivated or deleted (SCIM).
	ReasonDeprovisioned = Reason{"deprovisioned"}
)

// ParseReason reads a reason.
func ParseReason(s string) (Reason, error) {
	switch s {
	case ReasonLogout.r, ReasonUser.r, ReasonPasswordChanged.r, ReasonAccountDeleted.r, ReasonPasswordReset.r, ReasonEmailChanged.r,
		ReasonIdentityUnlinked.r, ReasonDeprovisioned.r:
		return Reason{s}, nil
	}
	return Reason{}, shared.Invalid(CodeInvalid, "unknown revocation reason "+s, map[string][]string{"reason": {"is not a known reason"}})
}

// String returns the reason's name.
func (r Reason) String() string { return r.r }

// IsZero reports the zero value.
func (r Reason) IsZero() bool { return r.r == "" }
