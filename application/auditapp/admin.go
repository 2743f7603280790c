package auditapp

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// defaultBatch is how many records export and verify read per query.
const defaultBatch = 500

// Admin serves the operators' export and verification.
type Admin struct {
	store auditport.Store
}

// NewAdmin returns the operators' use cases over store.
func NewAdmin(store auditport.Store) *Admin { return &Admin{store: store} }

var _ auditport.Admin = (*Admin)(nil)

// Export implements auditport.Admin: keyset pages oldest first, so memory
// stays constant however many records match.
func (a *Admin) Export(ctx context.Context, req auditport.ExportRequest, emit func(auditport.RecordView) error) (int64, error) {
	fe := shared.FieldErrors{}
	f := parseFilter(req.Action, "", req.From, req.To, fe)
	var org shared.OrganizationID
	if req.Organization != "" {
		var err error
		if org, err = shared.ParseOrganizationID(req.Organization); err != nil {
			fe.Add("org", "must be an organization id (UUID)")
		}
	}
	if err := fe.Err(audit.CodeInvalid); err != nil {
		return 0, err
	}
	batch := batchSize(req.BatchSize)
	q := auditport.Query{
		Organization: org, Action: f.action, From: f.from, To: f.to,
		Order: auditport.OldestFirst, Limit: batch,
	}
	var n int64
	for {
		recs, err := a.store.List(ctx, q)
		if err != nil {
			return n, fmt.Errorf("export audit records: %w", err)
		}
		for _, r := range recs {
			if err := emit(view(r)); err != nil {
				return n, err
			}
			n++
		}
		if len(recs) < batch {
			return n, nil
		}
		last := recs[len(recs)-1].Position()
		q.After = &last
	}
}

// Verify implements auditport.Admin. It first walks every sealed record
// in sequence order, including any beyond the head, then reads the head:
// every record the sealer sealed is covered by a head committed with it, so
// a walked record beyond the head read afterwards was sealed by someone
// else (its sequence set behind the application's back). Records sealed
// while the walk ran are walked up to that head, which is then compared
// with the last record (records removed from the end). Last, records that
// the sealer can never reach (neither sealed nor awaiting it) break the chain
// too; records still awaiting the sealer are counted, not checked.
func (a *Admin) Verify(ctx context.Context, batch int) (auditport.VerifyReport, error) {
	batch = batchSize(batch)
	w := walk{store: a.store, v: audit.NewChainVerifier(), after: math.MinInt64, batch: batch}
	if err := w.run(ctx, math.MaxInt64); err != nil {
		return auditport.VerifyReport{}, err
	}
	head, err := a.store.Head(ctx)
	if err != nil {
		return auditport.VerifyReport{}, fmt.Errorf("read audit chain head: %w", err)
	}
	rep := auditport.VerifyReport{HeadSequence: head.Sequence(), HeadHash: head.Hash()}
	switch {
	case w.broken != nil:
		rep.Break = w.broken
	case w.v.Last().Sequence() > head.Sequence():
		rep.Break = &auditport.BreakView{Sequence: w.v.Last().Sequence(), ID: w.lastID, Problem: fmt.Sprintf(
			"sealed beyond the chain head (sequence %d): this record was placed in the chain by something other than the sealer", head.Sequence())}
	default:
		if err := w.run(ctx, head.Sequence()); err != nil {
			return rep, err
		}
		rep.Break = w.broken
		if rep.Break == nil {
			if b := w.v.Finish(head); b != nil {
				rep.Break = &auditport.BreakView{Sequence: b.Sequence, ID: b.ID, Problem: b.Problem}
			}
		}
	}
	rep.Checked = w.v.Checked()
	if rep.Break == nil {
		strays, err := a.store.Strays(ctx)
		if err != nil {
			return rep, fmt.Errorf("look for stray audit records: %w", err)
		}
		if strays.Count > 0 {
			rep.Break = &auditport.BreakView{ID: strays.First, Problem: fmt.Sprintf(
				"%d record(s) are neither in the chain nor awaiting the sealer (the sealer's watermark was moved past them), the first %s", strays.Count, strays.First)}
		}
	}
	backlog, err := a.store.Backlog(ctx)
	if err != nil {
		return rep, fmt.Errorf("count unsealed audit records: %w", err)
	}
	rep.Unsealed, rep.OldestUnsealed = backlog.Count, backlog.Oldest
	return rep, nil
}

// walk feeds sealed records to a verifier in batches, from after.
type walk struct {
	store  auditport.Store
	v      *audit.ChainVerifier
	after  int64
	batch  int
	lastID uuid.UUID
	broken *auditport.BreakView
}

// run checks records up to sequence upTo (inclusive) and stops at the
// first break.
func (w *walk) run(ctx context.Context, upTo int64) error {
	for w.broken == nil && w.after < upTo {
		recs, err := w.store.Scan(ctx, w.after, w.batch)
		if err != nil {
			return fmt.Errorf("read audit records: %w", err)
		}
		for _, r := range recs {
			if r.Sequence() > upTo {
				return nil
			}
			if b := w.v.Check(r); b != nil {
				w.broken = &auditport.BreakView{Sequence: b.Sequence, ID: b.ID, Problem: b.Problem}
				return nil
			}
			w.after, w.lastID = r.Sequence(), r.ID()
		}
		if len(recs) < w.batch {
			return nil
		}
	}
	return nil
}

func batchSize(n int) int {
	if n <= 0 {
		return defaultBatch
	}
	return min(n, 10_000)
}
