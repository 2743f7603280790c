package identityapp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

// RefusalWindow is the span one refusal record summarises: a limited key
// gets at most one audit record per window, written once the window has
// ended, with the number of attempts refused in it.
const RefusalWindow = time.Minute

// refusalsPerDrain bounds the records one audit transaction writes.
const refusalsPerDrain = 200

// Audit actions of refusal summaries.
const (
	actionLoginRateLimited    = "auth.login.rate_limited"
	actionRegisterRateLimited = "auth.register.rate_limited"
	actionPasswordRateLimited = "user.password.rate_limited"
	actionEmailRateLimited    = "user.email.rate_limited"
	actionResendRateLimited   = "auth.email.verification_rate_limited"
	actionForgotRateLimited   = "auth.password.reset_rate_limited"
	// actionLinkTokenRateLimited summarises refused verification, email
	// change and password reset links.
	actionLinkTokenRateLimited = "auth.link_token.rate_limited"
)

// refusal names what refused an attempt. It is the tally key, so its parts
// never contain the separator: actions and limits are constants, clients
// are shared.ClientKey values, accounts hex and users UUIDs.
type refusal struct {
	action, limit string
	client        string
	account       string
	user          shared.UserID
}

func (r refusal) key() string {
	user := ""
	if !r.user.IsZero() {
		user = r.user.String()
	}
	return strings.Join([]string{r.action, r.limit, r.client, r.account, user}, "|")
}

func parseRefusal(key string) (refusal, bool) {
	parts := strings.Split(key, "|")
	if len(parts) != 5 || parts[0] == "" || parts[1] == "" {
		return refusal{}, false
	}
	r := refusal{action: parts[0], limit: parts[1], client: parts[2], account: parts[3]}
	if parts[4] != "" {
		id, err := shared.ParseUserID(parts[4])
		if err != nil {
			return refusal{}, false
		}
		r.user = id
	}
	return r, true
}

// refuse counts a refused attempt for its summary record and meters it. It
// reads no database and writes no audit record: a flood of refused attempts
// costs one tally increment each, and one record per key and minute.
func (s *Service) refuse(ctx context.Context, r refusal, metric string) {
	s.meter.Add(platformport.MetricRateLimited, metric, 1)
	if err := s.refusals.Add(ctx, r.key(), RefusalWindow); err != nil {
		s.log.WarnContext(ctx, "refused attempt not counted for audit", "limit", r.limit, "error", err.Error())
	}
}

// RecordRefusals writes one audit record for every limited key and ended
// window (action auth.login.rate_limited, auth.register.rate_limited,
// user.password.rate_limited, user.email.rate_limited,
// auth.email.verification_rate_limited, auth.password.reset_rate_limited or
// auth.link_token.rate_limited) with the number of
// attempts refused, and returns how many records it wrote. Every instance
// may run it: each window is handed to exactly one caller. Windows that
// could not be written are logged with their counts, not retried.
func (s *Service) RecordRefusals(ctx context.Context) (int, error) {
	written := 0
	for {
		counts, err := s.refusals.Drain(ctx, refusalsPerDrain)
		if err != nil {
			return written, fmt.Errorf("record refusals: %w", err)
		}
		events := make([]auditport.Event, 0, len(counts))
		for _, c := range counts {
			if ev, ok := refusalEvent(c); ok {
				events = append(events, ev)
			}
		}
		if err := s.audit.Record(ctx, events...); err != nil {
			refused := 0
			for _, c := range counts {
				refused += c.Count
			}
			s.log.ErrorContext(ctx, "audit records of refused attempts lost", "records", len(events), "refused", refused, "error", err.Error())
			return written, fmt.Errorf("record refusals: %w", err)
		}
		written += len(events)
		if len(counts) < refusalsPerDrain {
			return written, nil
		}
	}
}

func refusalEvent(c platformport.TallyCount) (auditport.Event, bool) {
	r, ok := parseRefusal(c.Key)
	if !ok || c.Count <= 0 {
		return auditport.Event{}, false
	}
	details := map[string]any{
		"limit":        r.limit,
		"refused":      c.Count,
		"window_start": c.Start.UTC().Format(time.RFC3339),
		"window_end":   c.End.UTC().Format(time.RFC3339),
	}
	if r.client != "" {
		details["client"] = r.client
	}
	if r.account != "" {
		details["account"] = r.account
	}
	ev := auditport.Event{
		Action: r.action, ActorType: auditport.ActorAnonymous, Details: details, OccurredAt: c.End.UTC(),
	}
	if !r.user.IsZero() {
		ev.ActorType, ev.ActorID = auditport.ActorUser, r.user.String()
		ev.TargetType, ev.TargetID = "user", r.user.String()
	}
	return ev, true
}
