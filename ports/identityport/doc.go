// Package identityport declares every interface crossing the identity
// context's hexagon: in.go is the use-case API the HTTP adapter calls
// (Service, which also serves other contexts as a Directory, and Operator
// for operator commands), hooks.go the hooks other contexts plug into
// registration and deletion, and out.go what the application needs from
// the outside: the user and token repositories and their unit of work, the
// password hasher, the password policy, the link token maker and the
// profile cache. Mail goes through the mail context's port (mailport).
//
// It imports only the standard library, uuid, domain packages and other
// ports; identityporttest holds the executable contract of out.go.
package identityport
