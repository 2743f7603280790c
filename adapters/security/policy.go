package security

import (
	"bufio"
	"bytes"
	_ "embed"
	"strings"
	"sync"

	"github.com/secuird/authy/ports/identityport"
)

//go:embed common_passwords.txt
var commonPasswordsFile []byte

// CommonPasswordPolicy implements identityport.PasswordPolicy: it refuses
// any password on the embedded list of common passwords (see the package
// documentation for its source and licence), compared trimmed and
// case-insensitively, so "Password1" is refused like "password1".
type CommonPasswordPolicy struct {
	once sync.Once
	set  map[string]struct{}
}

var _ identityport.PasswordPolicy = (*CommonPasswordPolicy)(nil)

// NewCommonPasswordPolicy returns the policy; the list is loaded on first
// use and shared by every call.
func NewCommonPasswordPolicy() *CommonPasswordPolicy { return &CommonPasswordPolicy{} }

func (p *CommonPasswordPolicy) load() {
	p.set = make(map[string]struct{}, 18000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsFile))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			p.set[w] = struct{}{}
		}
	}
}

// Len reports how many passwords the list refuses.
func (p *CommonPasswordPolicy) Len() int {
	p.once.Do(p.load)
	return len(p.set)
}

// Check implements identityport.PasswordPolicy.
func (p *CommonPasswordPolicy) Check(plain string) []string {
	p.once.Do(p.load)
	if _, ok := p.set[strings.ToLower(strings.TrimSpace(plain))]; ok {
		return []string{"is too common; choose a less predictable password"}
	}
	return nil
}
