// Package identity is the identity context's domain: the User aggregate
// (with its optional password and its verified email), the Token aggregate
// of mailed single-use links (verification, email change, password reset),
// the Email and Name value objects, the opaque PasswordHash, the password
// length rule and the domain events a user's life produces.
//
// It sits at the centre of the hexagon and imports only the standard
// library, google/uuid and domain/shared. It never reads the clock, never
// generates ids or secrets and never hashes: time, ids and token hashes come
// in as arguments and hashing is an outbound port
// (identityport.PasswordHasher, identityport.AccountTokens), so every rule
// here is testable without I/O.
package identity
