package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// MaxDetailsBytes bounds the canonical JSON of a record's details.
const MaxDetailsBytes = 4096

// RedactedKey lists, in details, the keys that were dropped because they
// looked like secrets.
const RedactedKey = "_redacted"

// sensitiveKeyParts are substrings of a normalized key (lower case, letters
// and digits only) that mark it as a secret. A key such as "new_password",
// "refresh_token", "client_secret" or "password_hash" is dropped with its
// value, wherever it appears in the document.
var sensitiveKeyParts = []string{
	"password", "passwd", "passphrase", "token", "secret", "hash",
	"apikey", "privatekey", "credential", "authorization", "cookie",
}

// hashPrefixes start the encodings of password hashes; a string value that
// starts with one is dropped whatever its key.
var hashPrefixes = []string{"$argon2", "$2a$", "$2b$", "$2y$", "$scrypt$", "$pbkdf2"}

// Details is the small JSON object of facts attached to a record, in its
// canonical encoding (keys sorted, no insignificant white space), which is
// also what is stored and hashed.
//
// Invariants: it is a JSON object of at most MaxDetailsBytes bytes holding
// no key that names a secret and no value that looks like a password hash.
type Details struct{ raw []byte }

// NewDetails canonicalizes m and removes secrets: a key that names a
// password, token, secret, hash, API key, credential or cookie is dropped
// with its value, and so is any string that looks like a password hash; the
// dropped keys' paths are listed under RedactedKey so a reader knows
// something was removed. Dropping rather than refusing keeps a careless
// caller's change from failing while still never storing the secret. A
// value that is not JSON-encodable is an error; so is a result larger than
// MaxDetailsBytes.
func NewDetails(m map[string]any) (Details, error) {
	if len(m) == 0 {
		return Details{raw: []byte("{}")}, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return Details{}, invalid("details", "must be encodable as JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return Details{}, invalid("details", "must be a JSON object")
	}
	var dropped []string
	clean := scrub(doc, "", &dropped).(map[string]any)
	if len(dropped) > 0 {
		sort.Strings(dropped)
		clean[RedactedKey] = slices.Compact(dropped)
	}
	out, err := json.Marshal(clean)
	if err != nil {
		return Details{}, invalid("details", "must be encodable as JSON")
	}
	if len(out) > MaxDetailsBytes {
		return Details{}, ErrDetailsTooLarge
	}
	return Details{raw: out}, nil
}

// RehydrateDetails wraps stored bytes as they are, for adapters loading a
// record: verification must see exactly what is stored.
func RehydrateDetails(raw []byte) Details {
	return Details{raw: append([]byte(nil), raw...)}
}

// JSON returns a copy of the canonical encoding.
func (d Details) JSON() []byte {
	if len(d.raw) == 0 {
		return []byte("{}")
	}
	return append([]byte(nil), d.raw...)
}

// IsSensitiveKey reports whether a details key names a secret.
func IsSensitiveKey(key string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(key) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	norm := b.String()
	for _, p := range sensitiveKeyParts {
		if strings.Contains(norm, p) {
			return true
		}
	}
	return false
}

func looksLikeHash(s string) bool {
	for _, p := range hashPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// scrub returns v without secret keys or hash-like strings, appending the
// path of everything it dropped.
func scrub(v any, path string, dropped *[]string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if IsSensitiveKey(k) {
				*dropped = append(*dropped, p)
				continue
			}
			if s, ok := val.(string); ok && looksLikeHash(s) {
				*dropped = append(*dropped, p)
				continue
			}
			out[k] = scrub(val, p, dropped)
		}
		return out
	case []any:
		out := make([]any, 0, len(t))
		for _, val := range t {
			if s, ok := val.(string); ok && looksLikeHash(s) {
				*dropped = append(*dropped, path+"[]")
				continue
			}
			out = append(out, scrub(val, path+"[]", dropped))
		}
		return out
	default:
		return v
	}
}
