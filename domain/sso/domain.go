package sso

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// ChallengePrefix names the TXT record of a domain's challenge:
// "_authy-challenge.<domain>".
const ChallengePrefix = "_authy-challenge."

// ChallengeValuePrefix starts the TXT record's value:
// "authy-domain-verification=<token>".
const ChallengeValuePrefix = "authy-domain-verification="

// ParseDomainName checks a domain name for the field "domain".
func ParseDomainName(s string) (string, error) {
	d, reason := shared.ParseDomainName(s)
	if reason != "" {
		return "", shared.Invalid(CodeInvalidInput, "invalid domain", map[string][]string{"domain": {reason}})
	}
	return d, nil
}

// DomainState is a Domain's stored state (for adapters).
type DomainState struct {
	ID           uuid.UUID
	Organization shared.OrganizationID
	Name         string
	Token        string
	CreatedAt    time.Time
	VerifiedAt   time.Time // zero while pending
}

// Domain is a domain name an organization claims, pending until its
// challenge is found in DNS, then verified.
//
// Invariants: a canonical domain name (ParseDomainName); a token of at
// least 32 characters; VerifiedAt is zero or not before CreatedAt.
type Domain struct{ s DomainState }

// AddDomain claims name for org with the challenge token token at now.
func AddDomain(id uuid.UUID, org shared.OrganizationID, name, token string, now time.Time) (*Domain, error) {
	n, err := ParseDomainName(name)
	if err != nil {
		return nil, err
	}
	if id == uuid.Nil || org.IsZero() || len(token) < 32 || now.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "a domain needs an id, an organization, a token and a time", nil)
	}
	return &Domain{DomainState{ID: id, Organization: org, Name: n, Token: token, CreatedAt: now.UTC()}}, nil
}

// RehydrateDomain rebuilds a stored domain (for adapters).
func RehydrateDomain(s DomainState) *Domain {
	s.CreatedAt, s.VerifiedAt = s.CreatedAt.UTC(), s.VerifiedAt.UTC()
	return &Domain{s}
}

// State returns the stored state.
func (d *Domain) State() DomainState { return d.s }

// ID returns the domain's id.
func (d *Domain) ID() uuid.UUID { return d.s.ID }

// Organization returns the organization claiming it.
func (d *Domain) Organization() shared.OrganizationID { return d.s.Organization }

// Name returns the canonical name.
func (d *Domain) Name() string { return d.s.Name }

// Verified reports whether the challenge was found.
func (d *Domain) Verified() bool { return !d.s.VerifiedAt.IsZero() }

// VerifiedAt returns when it was verified (zero while pending).
func (d *Domain) VerifiedAt() time.Time { return d.s.VerifiedAt }

// CreatedAt returns when it was added.
func (d *Domain) CreatedAt() time.Time { return d.s.CreatedAt }

// ChallengeName is the TXT record's name.
func (d *Domain) ChallengeName() string { return ChallengePrefix + d.s.Name }

// ChallengeValue is the TXT record's value.
func (d *Domain) ChallengeValue() string { return ChallengeValuePrefix + d.s.Token }

// Verify marks the domain verified at now when one of records (the TXT
// strings published at ChallengeName) is ChallengeValue; otherwise it is
// ErrChallengeNotFound and nothing changes. A verified domain stays
// verified (verifying again changes nothing).
func (d *Domain) Verify(records []string, now time.Time) error {
	if d.Verified() {
		return nil
	}
	want := []byte(d.ChallengeValue())
	for _, r := range records {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(r)), want) == 1 {
			now = now.UTC()
			if now.Before(d.s.CreatedAt) {
				now = d.s.CreatedAt
			}
			d.s.VerifiedAt = now
			return nil
		}
	}
	return ErrChallengeNotFound
}

// EmailDomain returns the domain of a canonical address (shared.Email's
// form), "" when it has none.
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return email[i+1:]
}
