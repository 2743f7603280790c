package organizations

import (
	"strings"

	"github.com/secuird/authy/domain/shared"
)

// Slug bounds.
const (
	MinSlugLength = 2
	MaxSlugLength = 63
)

// Slug is an organization's URL-safe handle: lower-case ASCII letters and
// digits in groups joined by single hyphens, 2 to 63 characters. Slugs are
// unique among live organizations, compared case-insensitively (they are
// stored lower-cased).
type Slug struct{ value string }

// ParseSlug trims and lower-cases s and checks the slug grammar.
func ParseSlug(s string) (Slug, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if reason := slugProblem(v); reason != "" {
		return Slug{}, shared.Invalid(CodeInvalid, "the request has invalid fields",
			map[string][]string{"slug": {reason}})
	}
	return Slug{v}, nil
}

func slugProblem(v string) string {
	if len(v) < MinSlugLength || len(v) > MaxSlugLength {
		return "must be 2 to 63 characters"
	}
	prevHyphen := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevHyphen = false
		case c == '-':
			if prevHyphen {
				return "must use lower-case letters, digits and single hyphens between them"
			}
			prevHyphen = true
		default:
			return "must use lower-case letters, digits and single hyphens between them"
		}
	}
	if prevHyphen {
		return "must not end with a hyphen"
	}
	return ""
}

// DeriveSlug builds a slug from an organization name: ASCII letters and
// digits are kept (lower-cased), common Latin accents lose their accent,
// everything else separates words. A name with nothing usable yields "org".
func DeriveSlug(name string) Slug {
	var b strings.Builder
	pendingHyphen := false
	for _, r := range strings.ToLower(name) {
		if f, ok := foldAccent[r]; ok {
			r = f
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if pendingHyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingHyphen = false
			b.WriteRune(r)
			continue
		}
		if r == 'ß' {
			b.WriteString("ss")
			continue
		}
		pendingHyphen = true
	}
	v := trimSlug(b.String(), MaxSlugLength)
	if len(v) < MinSlugLength {
		v = "org"
	}
	return Slug{v}
}

// WithSuffix returns s followed by "-" and suffix, shortening s so the
// result stays within MaxSlugLength. suffix must be lower-case letters and
// digits (the application uses a few random hex digits).
func (s Slug) WithSuffix(suffix string) (Slug, error) {
	base := trimSlug(s.value, MaxSlugLength-len(suffix)-1)
	if base == "" {
		return ParseSlug(suffix)
	}
	return ParseSlug(base + "-" + suffix)
}

func trimSlug(v string, max int) string {
	if max < 0 {
		max = 0
	}
	if len(v) > max {
		v = v[:max]
	}
	return strings.Trim(v, "-")
}

// String returns the slug.
func (s Slug) String() string { return s.value }

// IsZero reports the zero slug.
func (s Slug) IsZero() bool { return s.value == "" }

var foldAccent = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ā': 'a',
	'ç': 'c', 'č': 'c', 'ć': 'c',
	'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e', 'ē': 'e', 'ě': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ī': 'i',
	'ñ': 'n', 'ń': 'n', 'ň': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o', 'ō': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ū': 'u', 'ů': 'u',
	'ý': 'y', 'ÿ': 'y',
	'ś': 's', 'š': 's', 'ž': 'z', 'ź': 'z', 'ż': 'z', 'ř': 'r', 'ł': 'l', 'đ': 'd', 'ď': 'd', 'ť': 't',
}
