package security

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCommonPasswordPolicy_RefusesListedPasswordsIgnoringCase(t *testing.T) {
	p := NewCommonPasswordPolicy()
	if p.Len() < 10000 {
		t.Fatalf("the list has %d passwords, want at least 10,000", p.Len())
	}
	tests := []struct {
		password string
		refused  bool
	}{
		{"password", true},
		{"Password1", true},
		{"  qwertyuiop ", true},
		{"ILOVEYOU", true},
		{"trustno1", true},
		{"UserPass123!", false},
		{"correct horse battery staple 42", false},
		{"Zq8#vL2m!pT", false},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			if got := len(p.Check(tt.password)) > 0; got != tt.refused {
				t.Fatalf("Check(%q) refused=%v, want %v", tt.password, got, tt.refused)
			}
		})
	}
}

func TestCommonPasswordsFile_HoldsOnlyLowerCasePasswordsTheLengthRuleAdmits(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsFile))
	seen := map[string]bool{}
	for sc.Scan() {
		w := sc.Text()
		if n := utf8.RuneCountInString(w); n < 8 || n > 128 {
			t.Fatalf("%q has %d characters", w, n)
		}
		if w != strings.ToLower(strings.TrimSpace(w)) {
			t.Fatalf("%q is not normalized", w)
		}
		if seen[w] {
			t.Fatalf("%q is listed twice", w)
		}
		seen[w] = true
	}
}
