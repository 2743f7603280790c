package auditapp

import (
	"context"
	"fmt"

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

// Verify implements auditport.Admin. The head is read first: records
// appended while the walk runs lie beyond it and are left for the next run.
func (a *Admin) Verify(ctx context.Context, batch int) (auditport.VerifyReport, error) {
	batch = batchSize(batch)
	head, err := a.store.Head(ctx)
	if err != nil {
		return auditport.VerifyReport{}, fmt.Errorf("read audit chain head: %w", err)
	}
	rep := auditport.VerifyReport{HeadSequence: head.Sequence(), HeadHash: head.Hash()}
	v := audit.NewChainVerifier()
	var after int64
walk:
	for after < head.Sequence() {
		recs, err := a.store.Scan(ctx, after, batch)
		if err != nil {
			return rep, fmt.Errorf("read audit records: %w", err)
		}
		for _, r := range recs {
			if r.Sequence() > head.Sequence() {
				break walk
			}
			if b := v.Check(r); b != nil {
				rep.Checked = v.Checked()
				rep.Break = &auditport.BreakView{Sequence: b.Sequence, ID: b.ID, Problem: b.Problem}
				return rep, nil
			}
			after = r.Sequence()
		}
		if len(recs) < batch {
			break
		}
	}
	rep.Checked = v.Checked()
	if b := v.Finish(head); b != nil {
		rep.Break = &auditport.BreakView{Sequence: b.Sequence, ID: b.ID, Problem: b.Problem}
	}
	return rep, nil
}

func batchSize(n int) int {
	if n <= 0 {
		return defaultBatch
	}
	return min(n, 10_000)
}
