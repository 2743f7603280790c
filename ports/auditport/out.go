package auditport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
)

// Store is the append-only audit log. There is no update or delete.
//
// Contract (checked by auditporttest on every backend):
//   - Append joins the transaction carried by ctx (or opens its own), locks
//     the chain head until that transaction ends, calls seal with it,
//     refuses (audit.ErrChainMismatch) records that do not continue the head,
//     inserts them and moves the head to the last one. Concurrent appenders
//     are serialized, so the chain never forks; an error from seal or a
//     rollback of the transaction leaves records and head untouched.
//   - List returns at most q.Limit records matching q, in q.Order, strictly
//     after q.After; the order is total, so paging never skips or repeats
//     a record even while others are appended.
//   - Scan returns at most limit records with a sequence above after, in
//     sequence order (for verification and batch exports).
//   - Head returns the committed chain head (audit.Genesis when empty).
type Store interface {
	Append(ctx context.Context, seal func(head audit.ChainHead) ([]audit.Record, error)) error
	List(ctx context.Context, q Query) ([]audit.Record, error)
	Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error)
	Head(ctx context.Context) (audit.ChainHead, error)
}

// UnitOfWork runs fn in a transaction carried by ctx (joining one ctx
// already carries) and runs AfterCommit callbacks only once the outermost
// transaction has committed. *pgstore.DB implements it; the in-memory store
// does too.
type UnitOfWork interface {
	Transaction(ctx context.Context, fn func(ctx context.Context) error) error
	AfterCommit(ctx context.Context, f func(ctx context.Context))
}

// Order is the direction of a listing.
type Order int

// The orders: newest first is descending (occurred_at, sequence).
const (
	NewestFirst Order = iota
	OldestFirst
)

// Query selects records. Zero fields do not filter.
type Query struct {
	// Organization keeps the records of one organization.
	Organization shared.OrganizationID
	// Subject keeps the records a user is involved in: as the acting user
	// or as the target ("user", id).
	Subject shared.UserID
	Action  audit.ActionFilter
	ActorID string
	// From is inclusive, To exclusive.
	From, To time.Time
	// After continues a listing after this position (in Order).
	After *audit.Position
	Order Order
	Limit int
}
