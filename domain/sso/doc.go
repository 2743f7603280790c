// Package sso is the domain of enterprise single sign-on per organization:
// the Domain an organization proves it controls by a DNS TXT record, and
// the Connection (an OpenID Connect or SAML identity provider of the
// organization) that signs in people whose address is in its verified
// domains, provisioning them just in time as members.
//
// The rules an attacker probes live here: a domain name is a real,
// delegable name (no wildcard, no IP address); a domain counts only once
// its challenge was found in DNS; a connection routes only verified
// domains of its own organization; a person is signed in through a
// connection only with an address in its domains.
//
// It imports only the standard library, google/uuid and domain/shared; it
// never reads the clock or generates ids or secrets (they come in as
// arguments).
package sso
