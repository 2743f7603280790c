// Package oauthporttest holds the executable contracts of the oauth
// context's outbound ports: ClientRepositoryContract, KeyRepositoryContract
// and TokenStoreContract (the protocol library's token storage, with its
// transactions and the expiry janitor). Every adapter runs them, on SQLite
// always and on PostgreSQL in the integration run.
package oauthporttest
