// Package provisioning is the domain of the provisioning context: SCIM 2.0
// inbound provisioning of an organization's people by its identity
// provider. It holds the Token aggregate (a bearer credential of one
// organization, stored only as a digest, revoked once) and the User
// aggregate (one SCIM User resource: the identity provider's view of a
// person, linked to the Authy account it provisions), with the Attributes
// value the protocol reads and writes.
//
// The protocol's syntax (JSON, filters, PatchOp) is the HTTP adapter's;
// memberships, accounts and sessions belong to their own contexts. It
// imports only the standard library, google/uuid and domain/shared, and
// never reads the clock or generates ids.
package provisioning
