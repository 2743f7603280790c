package audit

import (
	"strings"
	"unicode/utf8"
)

// Length limits of identifiers and request facts.
const (
	MaxIDLength        = 128
	MaxTypeLength      = 32
	MaxClientIPLength  = 64
	MaxUserAgentLength = 512
	MaxRequestIDLength = 128
	// MaxCorrelationIDLength bounds the client's own id for a request.
	MaxCorrelationIDLength = 64
)

// The actor types.
const (
	ActorUser      = "user"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
	// ActorClient is an OAuth client acting on its own behalf.
	ActorClient = "client"
)

// Actor is who caused a fact: a user or a client (with an id), the system
// or an anonymous caller (without one).
type Actor struct {
	typ string
	id  string
}

// NewActor validates an actor: user and client need an id; system and
// anonymous have none.
func NewActor(typ, id string) (Actor, error) {
	switch typ {
	case ActorUser, ActorClient:
		if id == "" {
			return Actor{}, invalid("actor_id", "is required for a "+typ+" actor")
		}
		if !validID(id) {
			return Actor{}, invalid("actor_id", "must be printable and at most 128 characters")
		}
	case ActorSystem, ActorAnonymous:
		if id != "" {
			return Actor{}, invalid("actor_id", "must be empty for a "+typ+" actor")
		}
	default:
		return Actor{}, invalid("actor_type", "must be one of user, client, system, anonymous")
	}
	return Actor{typ: typ, id: id}, nil
}

// Type is user, client, system or anonymous.
func (a Actor) Type() string { return a.typ }

// ID is the user's or client's id ("" for system and anonymous).
func (a Actor) ID() string { return a.id }

// IsZero reports the zero Actor.
func (a Actor) IsZero() bool { return a.typ == "" }

// TargetUser is the target type of records about a user account; the read
// API shows a user the records that target them.
const TargetUser = "user"

// Target is what a fact is about ("user", id); both parts may be empty.
type Target struct {
	typ string
	id  string
}

// NewTarget validates a target: a type is lower-case letters and
// underscores; an id needs a type.
func NewTarget(typ, id string) (Target, error) {
	if typ == "" {
		if id != "" {
			return Target{}, invalid("target_type", "is required when target_id is set")
		}
		return Target{}, nil
	}
	if len(typ) > MaxTypeLength || strings.Trim(typ, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return Target{}, invalid("target_type", "must be lower-case letters and underscores, at most 32")
	}
	if id != "" && !validID(id) {
		return Target{}, invalid("target_id", "must be printable and at most 128 characters")
	}
	return Target{typ: typ, id: id}, nil
}

// Type names the kind of target ("user", "session", "organization").
func (t Target) Type() string { return t.typ }

// ID identifies the target.
func (t Target) ID() string { return t.id }

// Origin is where a request came from. It is taken from the request as the
// edge saw it, so over-long values are cut rather than refused: a hostile
// client must not be able to make a change fail by sending a huge header.
type Origin struct {
	clientIP      string
	userAgent     string
	requestID     string
	correlationID string
}

// NewOrigin cleans and cuts the request facts to their limits. requestID is
// the server's id of the request, unique per request; correlationID is the
// id the client chose for it ("" when none), which any number of requests
// may share.
func NewOrigin(clientIP, userAgent, requestID, correlationID string) Origin {
	return Origin{
		clientIP:      cut(clientIP, MaxClientIPLength),
		userAgent:     cut(userAgent, MaxUserAgentLength),
		requestID:     cut(requestID, MaxRequestIDLength),
		correlationID: cut(correlationID, MaxCorrelationIDLength),
	}
}

// ClientIP is the caller's address.
func (o Origin) ClientIP() string { return o.clientIP }

// UserAgent is the caller's User-Agent header.
func (o Origin) UserAgent() string { return o.userAgent }

// RequestID is the request's id (also in logs and the response).
func (o Origin) RequestID() string { return o.requestID }

// CorrelationID is the id the client sent for the request ("" when none).
func (o Origin) CorrelationID() string { return o.correlationID }

func validID(s string) bool {
	if len(s) > MaxIDLength || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// cut makes s valid UTF-8 without control characters and at most max bytes,
// never splitting a character.
func cut(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
