package audit

import (
	"strings"

	"github.com/secuird/authy/domain/shared"
)

// MaxActionLength bounds an action name.
const MaxActionLength = 100

// Action is a stable dotted name such as "auth.login.failed": two or more
// segments of lower-case letters, digits and underscores.
type Action struct{ name string }

// ParseAction validates a dotted action name.
func ParseAction(s string) (Action, error) {
	if !validDotted(s, false) {
		return Action{}, invalid("action", "must be a dotted name of lower-case segments such as auth.login.failed")
	}
	if !strings.Contains(s, ".") {
		return Action{}, invalid("action", "must have at least two dotted segments")
	}
	return Action{name: s}, nil
}

// String returns the name.
func (a Action) String() string { return a.name }

// IsZero reports the zero Action.
func (a Action) IsZero() bool { return a.name == "" }

// validDotted reports whether s is segments of [a-z0-9_] joined by dots;
// with trailingDot, s must end with a dot (a prefix).
func validDotted(s string, trailingDot bool) bool {
	if s == "" || len(s) > MaxActionLength {
		return false
	}
	if trailingDot {
		if !strings.HasSuffix(s, ".") {
			return false
		}
		s = strings.TrimSuffix(s, ".")
	}
	for _, seg := range strings.Split(s, ".") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				return false
			}
		}
	}
	return true
}

// ActionFilter selects records by action: one exact action, or every action
// under a prefix. The zero filter selects everything.
type ActionFilter struct {
	value  string
	prefix bool
}

// ParseActionFilter reads "auth.login.failed" (exact), "auth." or "auth.*"
// (every action starting with "auth."); "" is no filter.
func ParseActionFilter(s string) (ActionFilter, error) {
	if s == "" {
		return ActionFilter{}, nil
	}
	if strings.HasSuffix(s, ".*") {
		s = strings.TrimSuffix(s, "*")
	}
	if strings.HasSuffix(s, ".") {
		if !validDotted(s, true) {
			return ActionFilter{}, filterError()
		}
		return ActionFilter{value: s, prefix: true}, nil
	}
	if !validDotted(s, false) {
		return ActionFilter{}, filterError()
	}
	return ActionFilter{value: s}, nil
}

func filterError() error {
	return shared.Invalid(CodeInvalid, "the request has invalid fields", map[string][]string{
		"action": {"must be an action such as auth.login.failed, or a prefix ending in a dot or .* such as auth. or auth.*"},
	})
}

// IsZero reports the filter that selects everything.
func (f ActionFilter) IsZero() bool { return f.value == "" }

// IsPrefix reports a prefix filter; Value then ends with a dot.
func (f ActionFilter) IsPrefix() bool { return f.prefix }

// Value is the exact action or the prefix (ending with a dot).
func (f ActionFilter) Value() string { return f.value }

// Matches reports whether action passes the filter.
func (f ActionFilter) Matches(action string) bool {
	switch {
	case f.value == "":
		return true
	case f.prefix:
		return strings.HasPrefix(action, f.value)
	default:
		return action == f.value
	}
}
