package auditport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// MaxPageSize is the largest page the read API returns; DefaultPageSize is
// used when the client asks for none.
const (
	MaxPageSize     = 200
	DefaultPageSize = 50
)

// ListRequest is a read-API query as a client sends it; the service
// validates every field (errors are Invalid, per field):
//   - Action: an exact action ("auth.login.failed"), or a prefix ending in a
//     dot or ".*" ("auth." and "auth.*" both select every auth.… action);
//   - ActorID: the acting user's or client's id;
//   - From (inclusive), To (exclusive): RFC 3339 times;
//   - Limit: clamped to [1, MaxPageSize] (0 means DefaultPageSize);
//   - Cursor: meta.next_cursor of the previous page.
type ListRequest struct {
	Action  string
	ActorID string
	From    string
	To      string
	Limit   int
	Cursor  string
}

// RecordView is one audit record as the read API and the export show it.
// Empty strings are absent values; Sequence is 0 and the hashes are empty
// while the record awaits sealing.
type RecordView struct {
	ID             uuid.UUID
	Sequence       int64
	OccurredAt     time.Time
	ActorType      string
	ActorID        string
	Action         string
	TargetType     string
	TargetID       string
	OrganizationID string
	ClientIP       string
	UserAgent      string
	// RequestID is the server's id of the request; CorrelationID the id
	// the client sent with it (X-Request-ID), which requests may share.
	RequestID     string
	CorrelationID string
	// Details is a JSON object.
	Details  []byte
	PrevHash string
	Hash     string
}

// Page is one page of records, newest first; NextCursor is empty when no
// more remain.
type Page struct {
	Items      []RecordView
	Limit      int
	NextCursor string
}

// Reader is the read API.
//
// ListForUser returns the records where user is the actor or the target.
// ListForOrganization returns an organization's records to its owners and
// admins: a member gets a Forbidden error (audit.ErrForbidden); a
// non-member, an unknown or deleted organization the same NotFound
// (audit.ErrOrganizationNotFound).
type Reader interface {
	ListForUser(ctx context.Context, user shared.UserID, req ListRequest) (Page, error)
	ListForOrganization(ctx context.Context, caller shared.UserID, org shared.OrganizationID, req ListRequest) (Page, error)
}

// ExportRequest selects records for a SIEM export (operators only); the
// fields are validated like ListRequest's. Organization "" exports every
// record.
type ExportRequest struct {
	Organization string
	Action       string
	From         string
	To           string
	// BatchSize is how many records are read per query (default 500).
	BatchSize int
}

// BreakView describes the first broken link of the chain. Sequence is 0
// for records outside the chain altogether (ID names the first).
type BreakView struct {
	Sequence int64
	ID       uuid.UUID
	Problem  string
}

// VerifyReport is the outcome of walking the whole chain.
type VerifyReport struct {
	// Checked is how many records verified before the end or the break.
	Checked      int64
	HeadSequence int64
	HeadHash     string
	// Break is nil when the chain is intact.
	Break *BreakView
	// Unsealed is how many committed records await sealing (not part of
	// the chain yet), and OldestUnsealed when the oldest of them occurred.
	Unsealed       int64
	OldestUnsealed time.Time
}

// Admin is what operators run from the command line.
//
// Export streams matching records oldest first to emit, in batches, and
// returns how many it emitted; an error from emit stops it. Verify walks the
// chain in sequence order in batches (constant memory) and reports the first
// broken link (an altered record, a gap, records missing at the end, a
// record sealed beyond the head, records the sealer can never reach), and
// how many records await sealing.
type Admin interface {
	Export(ctx context.Context, req ExportRequest, emit func(RecordView) error) (int64, error)
	Verify(ctx context.Context, batchSize int) (VerifyReport, error)
}

// Sealer places committed records in the chain, in the order it finds
// them, shortly after their commit: `serve` runs one on every instance
// (only one seals at a time) and `authy audit seal` runs a pass.
//
// SealPending seals every record committed and unsealed when it starts,
// batch after batch, and returns how many it sealed. When another sealer
// holds the chain head it returns audit.ErrSealerBusy with what it sealed
// so far: that one is sealing.
type Sealer interface {
	SealPending(ctx context.Context) (int64, error)
}
