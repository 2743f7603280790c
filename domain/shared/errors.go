package shared

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind classifies an error by what the caller can do about it. The HTTP
// adapter maps each kind to exactly one status and envelope type.
type Kind int

// The error kinds. KindUnknown is never produced on purpose: an error without
// a kind is an internal failure.
const (
	KindUnknown Kind = iota
	KindInvalid
	KindBadRequest
	KindNotFound
	KindConflict
	KindUnauthenticated
	KindForbidden
	KindRateLimited
	KindUnavailable
)

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindBadRequest:
		return "bad_request"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindForbidden:
		return "forbidden"
	case KindRateLimited:
		return "rate_limited"
	case KindUnavailable:
		return "unavailable"
	default:
		return "unknown"
	}
}

// Error is a typed domain or application error. Code is a stable dotted name
// (for example "identity.email_taken") that clients may branch on, so it is
// public API. Fields carries per-field reasons for KindInvalid. RetryAfter is
// set for KindRateLimited.
type Error struct {
	kind       Kind
	code       string
	message    string
	fields     map[string][]string
	retryAfter time.Duration
	cause      error
}

// Kind reports the error's kind.
func (e *Error) Kind() Kind { return e.kind }

// Code reports the stable dotted code.
func (e *Error) Code() string { return e.code }

// Message reports the human-readable message, safe to show to a client.
func (e *Error) Message() string { return e.message }

// Fields returns a copy of the per-field reasons (nil when there are none).
func (e *Error) Fields() map[string][]string {
	if len(e.fields) == 0 {
		return nil
	}
	out := make(map[string][]string, len(e.fields))
	for k, v := range e.fields {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// RetryAfter is how long a rate-limited caller should wait.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// Error implements error. It includes the cause for logs; clients only ever
// see Message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.code)
	if e.message != "" {
		b.WriteString(": ")
		b.WriteString(e.message)
	}
	if len(e.fields) > 0 {
		keys := make([]string, 0, len(e.fields))
		for k := range e.fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" [")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", k, strings.Join(e.fields[k], ", "))
		}
		b.WriteString("]")
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is match any *Error with the same code, so a sentinel such
// as identity.ErrEmailTaken matches a copy that carries a cause or details.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.code == e.code && t.kind == e.kind
}

// WithCause returns a copy of e that wraps cause (for logs only).
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// WithMessage returns a copy of e with another client-facing message.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.message = msg
	return &c
}

// WithRetryAfter returns a copy of e carrying a retry delay.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.retryAfter = d
	return &c
}

// NewError builds an error of any kind.
func NewError(kind Kind, code, message string) *Error {
	return &Error{kind: kind, code: code, message: message}
}

// Invalid builds a validation error with per-field reasons.
func Invalid(code, message string, fields map[string][]string) *Error {
	return &Error{kind: KindInvalid, code: code, message: message, fields: fields}
}

// BadRequest builds an error for a request that cannot be read at all.
func BadRequest(code, message string) *Error { return NewError(KindBadRequest, code, message) }

// NotFound builds a not-found error.
func NotFound(code, message string) *Error { return NewError(KindNotFound, code, message) }

// Conflict builds a conflict error.
func Conflict(code, message string) *Error { return NewError(KindConflict, code, message) }

// Unauthenticated builds an authentication error.
func Unauthenticated(code, message string) *Error {
	return NewError(KindUnauthenticated, code, message)
}

// Forbidden builds an authorization error.
func Forbidden(code, message string) *Error { return NewError(KindForbidden, code, message) }

// RateLimited builds a rate-limit error that tells the caller when to retry.
func RateLimited(code, message string, retryAfter time.Duration) *Error {
	return &Error{kind: KindRateLimited, code: code, message: message, retryAfter: retryAfter}
}

// Unavailable builds an error for a dependency that does not answer.
func Unavailable(code, message string) *Error { return NewError(KindUnavailable, code, message) }

// KindOf reports the kind of the first *Error in err's chain, or KindUnknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.kind
	}
	return KindUnknown
}

// FieldErrors accumulates per-field validation reasons.
type FieldErrors map[string][]string

// Add records a reason for a field.
func (f FieldErrors) Add(field, reason string) { f[field] = append(f[field], reason) }

// Empty reports whether no reason was recorded.
func (f FieldErrors) Empty() bool { return len(f) == 0 }

// Err returns nil when empty, else an Invalid error with the given code.
func (f FieldErrors) Err(code string) error {
	if f.Empty() {
		return nil
	}
	return Invalid(code, "the request has invalid fields", map[string][]string(f))
}

// RefusalReason names err in the audit record of a refused attempt: an
// error of the context whose codes start with prefix and a dot by its code
// without them ("sso.state_invalid" is "state_invalid" for "sso"), any
// other error of the taxonomy by its whole code ("identity.email_taken"),
// anything else "internal". The contexts that sign people in through
// another identity provider share it, so their records name one refusal
// one way.
func RefusalReason(err error, prefix string) string {
	var e *Error
	if !errors.As(err, &e) {
		return "internal"
	}
	if r, ok := strings.CutPrefix(e.code, prefix+"."); ok && r != "" {
		return r
	}
	return e.code
}
