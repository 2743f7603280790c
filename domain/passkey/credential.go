package passkey

import (
	"bytes"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of a credential.
const (
	// MaxNameRunes bounds the name an owner gives a passkey.
	MaxNameRunes = 64
	// MaxCredentialIDBytes is WebAuthn's bound on a credential id.
	MaxCredentialIDBytes = 1023
	// DefaultName names a passkey registered without a name.
	DefaultName = "Passkey"
)

// Registered is what a verified registration yields.
type Registered struct {
	CredentialID      []byte
	PublicKey         []byte
	AAGUID            []byte
	Transports        []string
	AttestationFormat string
	SignCount         uint32
	UserVerified      bool
	BackupEligible    bool
	BackupState       bool
}

// Assertion is what a verified sign-in with a credential reports: the
// authenticator's counter and flags of that ceremony.
type Assertion struct {
	SignCount      uint32
	UserVerified   bool
	BackupEligible bool
	BackupState    bool
}

// Credential is a registered passkey of one user.
//
// Invariants: it has an id, an owner, a credential id of 1 to 1023 bytes
// and a public key; its name is 1 to 64 printable characters (surrounding
// space trimmed); its sign counter only moves forward (see Use); its
// backup eligibility is the registration's for ever; user verification,
// once seen at registration, stays recorded.
type Credential struct {
	id                uuid.UUID
	user              shared.UserID
	credentialID      []byte
	publicKey         []byte
	name              string
	aaguid            []byte
	transports        []string
	attestationFormat string
	signCount         uint32
	userVerified      bool
	backupEligible    bool
	backupState       bool
	createdAt         time.Time
	lastUsedAt        time.Time
}

// CheckName returns the name as stored (trimmed) or an Invalid error.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalidName("is required")
	case !utf8.ValidString(name):
		return "", invalidName("must be UTF-8")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return "", invalidName("is longer than 64 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", invalidName("must not hold control or invisible characters")
		}
	}
	return name, nil
}

// NewCredential records a verified registration under name.
func NewCredential(id uuid.UUID, user shared.UserID, r Registered, name string, now time.Time) (*Credential, error) {
	if id == uuid.Nil || user.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "a passkey needs an id and an owner", nil)
	}
	if len(r.CredentialID) == 0 || len(r.CredentialID) > MaxCredentialIDBytes || len(r.PublicKey) == 0 {
		return nil, ErrAttestationInvalid
	}
	if !r.BackupEligible && r.BackupState {
		return nil, ErrAttestationInvalid
	}
	n, err := CheckName(name)
	if err != nil {
		return nil, err
	}
	return &Credential{
		id: id, user: user, credentialID: bytes.Clone(r.CredentialID), publicKey: bytes.Clone(r.PublicKey), name: n,
		aaguid: bytes.Clone(r.AAGUID), transports: append([]string(nil), r.Transports...), attestationFormat: r.AttestationFormat,
		signCount: r.SignCount, userVerified: r.UserVerified, backupEligible: r.BackupEligible, backupState: r.BackupState,
		createdAt: now,
	}, nil
}

// CredentialState is a stored credential, for adapters rehydrating one.
type CredentialState struct {
	ID                uuid.UUID
	User              shared.UserID
	CredentialID      []byte
	PublicKey         []byte
	Name              string
	AAGUID            []byte
	Transports        []string
	AttestationFormat string
	SignCount         uint32
	UserVerified      bool
	BackupEligible    bool
	BackupState       bool
	CreatedAt         time.Time
	LastUsedAt        time.Time
}

// RehydrateCredential rebuilds a stored credential; adapters only.
func RehydrateCredential(s CredentialState) *Credential {
	return &Credential{
		id: s.ID, user: s.User, credentialID: s.CredentialID, publicKey: s.PublicKey, name: s.Name, aaguid: s.AAGUID,
		transports: s.Transports, attestationFormat: s.AttestationFormat, signCount: s.SignCount, userVerified: s.UserVerified,
		backupEligible: s.BackupEligible, backupState: s.BackupState, createdAt: s.CreatedAt, lastUsedAt: s.LastUsedAt,
	}
}

// ID is the passkey's id in Authy (not the WebAuthn credential id).
func (c *Credential) ID() uuid.UUID { return c.id }

// User is the owner.
func (c *Credential) User() shared.UserID { return c.user }

// CredentialID is the WebAuthn credential id.
func (c *Credential) CredentialID() []byte { return bytes.Clone(c.credentialID) }

// PublicKey is the credential's COSE public key.
func (c *Credential) PublicKey() []byte { return bytes.Clone(c.publicKey) }

// Name is what the owner calls it.
func (c *Credential) Name() string { return c.name }

// AAGUID names the authenticator model (zeros when not attested).
func (c *Credential) AAGUID() []byte { return bytes.Clone(c.aaguid) }

// Transports are the transports the authenticator reported.
func (c *Credential) Transports() []string { return append([]string(nil), c.transports...) }

// AttestationFormat is the registration's attestation statement format.
func (c *Credential) AttestationFormat() string { return c.attestationFormat }

// SignCount is the last sign counter accepted.
func (c *Credential) SignCount() uint32 { return c.signCount }

// UserVerified tells whether the authenticator has verified its user
// (PIN, biometrics) at registration.
func (c *Credential) UserVerified() bool { return c.userVerified }

// BackupEligible tells whether the credential may be synced.
func (c *Credential) BackupEligible() bool { return c.backupEligible }

// BackupState tells whether it was synced when last used.
func (c *Credential) BackupState() bool { return c.backupState }

// CreatedAt is when it was registered.
func (c *Credential) CreatedAt() time.Time { return c.createdAt }

// LastUsedAt is when it last signed in (zero when never).
func (c *Credential) LastUsedAt() time.Time { return c.lastUsedAt }

// Rename gives the passkey another name.
func (c *Credential) Rename(name string) error {
	n, err := CheckName(name)
	if err != nil {
		return err
	}
	c.name = n
	return nil
}

// Use accepts a verified assertion: a sign counter that does not move
// forward (when either counter is not zero: authenticators that keep no
// counter always report zero) is ErrCloned; a change of backup
// eligibility, or a backup without it, is ErrFlagsChanged. Either leaves
// the credential unchanged.
func (c *Credential) Use(a Assertion, now time.Time) error {
	if (a.SignCount != 0 || c.signCount != 0) && a.SignCount <= c.signCount {
		return ErrCloned
	}
	if a.BackupEligible != c.backupEligible || (!a.BackupEligible && a.BackupState) {
		return ErrFlagsChanged
	}
	c.signCount, c.backupState, c.lastUsedAt = a.SignCount, a.BackupState, now
	if a.UserVerified {
		c.userVerified = true
	}
	return nil
}
