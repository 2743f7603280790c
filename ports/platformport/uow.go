package platformport

import "context"

// UnitOfWork is the one transaction shape of every bounded context.
//
// Transaction runs fn in one database transaction carried by the ctx fn
// receives: every store called with that ctx joins it, so a change, its
// audit records and its outbox rows commit or roll back together. An error
// from fn rolls everything back; a ctx that already carries a transaction
// is joined (the outermost caller owns commit and rollback).
//
// AfterCommit runs f once the transaction carried by ctx has committed, and
// never when it rolls back; without a transaction it runs f at once. Caches,
// wake-ups and metrics follow a commit this way, so nothing outside the
// database ever shows a state the database does not hold.
type UnitOfWork interface {
	Transaction(ctx context.Context, fn func(ctx context.Context) error) error
	AfterCommit(ctx context.Context, f func(ctx context.Context))
}
