// Package pgstore is the shared part of the outbound GORM adapters: opening
// PostgreSQL or the embedded SQLite file, the transaction carried in a
// context, error translation at the store boundary, and the migration runner.
// On PostgreSQL a transaction is a pooled connection on which the package
// sends BEGIN and COMMIT itself (pgtx.go), so statements queued with
// ExecWithCommit reach the server in the COMMIT's round trip.
//
// Context packages (identitypg, sessionspg, …) build their repositories on
// DB. Nothing here knows a bounded context; it imports GORM, its drivers and
// goose, never application/ or another adapter family.
package pgstore
