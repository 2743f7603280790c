// Package identity is the identity context's domain: the User aggregate, the
// Email and Name value objects, the opaque PasswordHash, the password length
// rule and the domain events a user's life produces.
//
// It sits at the centre of the hexagon and imports only the standard
// library, google/uuid and domain/shared. It never reads the clock, never
// generates ids and never hashes: time and ids come in as arguments and
// hashing is an outbound port (identityport.PasswordHasher), so every rule
// here is testable without I/O.
package identity
