package shared

import (
	"strings"
	"unicode"
)

// ReasonInvisibleText is the validation reason for text that holds a
// character a reader cannot see or that reorders the text around it.
const ReasonInvisibleText = "must not contain invisible or bidirectional control characters"

// IsBidiControl reports the explicit bidirectional formatting characters:
// the marks U+200E, U+200F and U+061C, the embeddings and overrides
// U+202A–U+202E and the isolates U+2066–U+2069. In a name or an address
// they make the text display in another order than it compares ("evil"
// followed by U+202E shows as something else entirely).
func IsBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// IsInvisible reports a character that renders as nothing or as blank
// space that is not white space: every format character (Unicode category
// Cf: zero-width space and joiners, the byte order mark, soft hyphen, the
// bidirectional controls, tag characters), the other default-ignorable
// code points (Hangul fillers, the combining grapheme joiner, variation
// selectors) and U+2800 BRAILLE PATTERN BLANK. Two strings that differ only
// by such characters look the same to a person, so they must not be told
// apart by the server either: they are refused, never stripped.
func IsInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		r == '\u2800'
}

// HasInvisible reports whether s holds a character IsInvisible or
// IsBidiControl reports.
func HasInvisible(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return IsInvisible(r) || IsBidiControl(r) }) >= 0
}
