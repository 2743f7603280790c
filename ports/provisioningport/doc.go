// Package provisioningport declares the provisioning context's ports: in.go
// the use-case API of SCIM tokens (the /api/v1 admin routes) and of SCIM
// provisioning (the /scim/v2 protocol routes), out.go its stores and what
// it asks of the identity, organizations, sessions and oauth contexts. It
// imports only the standard library, domain packages and other ports.
package provisioningport
