// Package identitymem is the identity context's in-process adapter of the
// embedded mode: the profile cache of the single instance
// (identityport.ProfileCache, held to identityporttest's contract like the
// Redis one). Users and tokens live in the database (identitypg) on every
// backend. It imports only ports, the identity domain and the standard
// library.
package identitymem
