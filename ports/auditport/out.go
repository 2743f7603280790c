package auditport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
)

// Store is the append-only audit log. There is no update or delete: a
// record is written unsealed and sealed once, never changed after.
//
// Contract (checked by auditporttest on every backend):
//   - Insert joins the unit of work (platformport.UnitOfWork) carried by
//     ctx, or opens its own transaction, and writes entries as unsealed
//     records, in order, each with a new insert position. It takes no lock that other writers wait for; a rollback of
//     the transaction keeps none of them.
//   - Seal runs one sealing batch in a transaction of its own (ctx must
//     carry none): it takes the chain head so that exactly one sealer seals
//     at a time, or returns audit.ErrSealerBusy at once when another holds
//     it (a store whose database serializes writers anyway may wait for it
//     instead); reads up to limit committed unsealed records in insert
//     order; and, when there are any, calls seal with the head and them. It
//     refuses (audit.ErrChainMismatch) a result that is not exactly those
//     records sealed after the head (audit.SealsPending), writes each
//     record's sequence and links, moves the head to the last and commits,
//     returning how many it sealed. An error from seal, a cancelled ctx or
//     any failure rolls the whole batch back: records and head stay as
//     they were, and the next batch starts from the same head.
//   - List returns at most q.Limit records matching q, sealed or not, in
//     q.Order, strictly after q.After; the order (time, then insert
//     position) is total, so paging never skips or repeats a record even
//     while others are written or sealed.
//   - Scan returns at most limit sealed records with a sequence above
//     after, in sequence order (for verification).
//   - Head returns the committed chain head (audit.Genesis when empty).
//   - Backlog counts the committed unsealed records and gives the oldest
//     one's time.
//   - Strays counts the records the sealer can never reach: neither sealed
//     nor awaiting it (a store that tracks what the sealer has still to
//     read apart from the records finds those that tracking was made to
//     pass over behind its back; one whose unsealed state is the record's
//     own answers none).
type Store interface {
	Insert(ctx context.Context, entries []audit.Entry) error
	Seal(ctx context.Context, limit int, seal func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error)) (int, error)
	List(ctx context.Context, q Query) ([]audit.Record, error)
	Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error)
	Head(ctx context.Context) (audit.ChainHead, error)
	Backlog(ctx context.Context) (Backlog, error)
	Strays(ctx context.Context) (Strays, error)
}

// Strays are records neither sealed nor awaiting the sealer: how many, and
// the id of the first in insert order (zero when none).
type Strays struct {
	Count int64
	First uuid.UUID
}

// Backlog is what awaits sealing: how many committed records, and when the
// oldest of them occurred (zero when none).
type Backlog struct {
	Count  int64
	Oldest time.Time
}

// Order is the direction of a listing.
type Order int

// The orders: newest first is descending (occurred_at, insert position).
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
