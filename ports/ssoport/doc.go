// Package ssoport holds every interface that crosses the hexagon of the
// sso context (enterprise single sign-on per organization: verified
// domains and identity-provider connections): the use-case API the HTTP
// adapter calls (in.go) and the stores, the DNS resolver and the
// identity-provider client it depends on (out.go).
//
// It imports only the standard library, domain packages and other ports.
package ssoport
