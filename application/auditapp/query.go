package auditapp

import (
	"time"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// filter is the validated, store-independent part of a request.
type filter struct {
	action   audit.ActionFilter
	actorID  string
	from, to time.Time
}

// parseFilter validates the filters every listing shares and collects all
// field errors at once.
func parseFilter(action, actorID, from, to string, fe shared.FieldErrors) filter {
	var f filter
	if a, err := audit.ParseActionFilter(action); err != nil {
		fe.Add("action", "must be an action such as auth.login.failed, or a prefix ending in a dot or .* such as auth. or auth.*")
	} else {
		f.action = a
	}
	// An id no actor can have (control characters, invalid UTF-8) is
	// refused here: the database would reject it as a query parameter.
	switch {
	case len(actorID) > audit.MaxIDLength:
		fe.Add("actor_id", "must be at most 128 characters")
	case actorID != "":
		if _, err := audit.NewActor(audit.ActorUser, actorID); err != nil {
			fe.Add("actor_id", "must be printable text")
		} else {
			f.actorID = actorID
		}
	}
	f.from = parseTime(from, "from", fe)
	f.to = parseTime(to, "to", fe)
	if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
		fe.Add("to", "must be after from")
	}
	return f
}

func parseTime(s, field string, fe shared.FieldErrors) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		fe.Add(field, "must be an RFC 3339 time such as 2025-01-31T23:59:59Z")
		return time.Time{}
	}
	return t.UTC()
}

// listQuery validates req into a store query for one page (asking for one
// record more than the page, to know whether more remain).
func listQuery(req auditport.ListRequest) (auditport.Query, int, error) {
	fe := shared.FieldErrors{}
	f := parseFilter(req.Action, req.ActorID, req.From, req.To, fe)
	var after *audit.Position
	if req.Cursor != "" {
		p, err := audit.DecodeCursor(req.Cursor)
		if err != nil {
			fe.Add("cursor", "is not a cursor this server issued")
		} else {
			after = &p
		}
	}
	if err := fe.Err(audit.CodeInvalid); err != nil {
		return auditport.Query{}, 0, err
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = auditport.DefaultPageSize
	case limit < 1:
		limit = 1
	case limit > auditport.MaxPageSize:
		limit = auditport.MaxPageSize
	}
	return auditport.Query{
		Action: f.action, ActorID: f.actorID, From: f.from, To: f.to,
		After: after, Order: auditport.NewestFirst, Limit: limit + 1,
	}, limit, nil
}

func view(r audit.Record) auditport.RecordView {
	s := r.State()
	return auditport.RecordView{
		ID: s.ID, Sequence: s.Sequence, OccurredAt: s.OccurredAt,
		ActorType: s.ActorType, ActorID: s.ActorID, Action: s.Action,
		TargetType: s.TargetType, TargetID: s.TargetID, OrganizationID: s.OrganizationID,
		ClientIP: s.ClientIP, UserAgent: s.UserAgent, RequestID: s.RequestID, CorrelationID: s.CorrelationID,
		Details: s.Details, PrevHash: s.PrevHash, Hash: s.Hash,
	}
}
