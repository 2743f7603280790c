package ssoport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// DomainVerifier is what other contexts (SCIM provisioning) ask of sso
// about an organization's email domains.
//
// DomainVerified reports whether org has verified domain (compared in
// shared.ParseDomainName's canonical form): false for a name that does not
// parse, one nobody verified, one another organization verified, and one
// of a deleted organization.
type DomainVerifier interface {
	DomainVerified(ctx context.Context, org shared.OrganizationID, domain string) (bool, error)
}
