package security

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/authy/domain/identity"
)

// BenchmarkVerify_EveryPathCostsWhatAnUnknownEmailCosts measures, one
// verification at a time at the default parameters, the median latency of
// each login path and reports it as a ratio of the unknown-email path (the
// dummy verification) measured in the same run. A ratio far from 1 is a
// timing oracle for which kind of hash an account has.
//
//	go test -run '^$' -bench BenchmarkVerify_EveryPath -benchtime 40x ./adapters/security
func BenchmarkVerify_EveryPathCostsWhatAnUnknownEmailCosts(b *testing.B) {
	ctx := context.Background()
	h, err := NewPasswordHasher(HasherOptions{Params: OWASPMinimum, Concurrency: 2})
	if err != nil {
		b.Fatal(err)
	}
	const password = "Authy2 legacy password"
	current, err := h.Hash(ctx, password)
	if err != nil {
		b.Fatal(err)
	}
	// Cost 6: cheaper than the current argon2id, as the imported hashes
	// were (a dearer legacy hash is slower, whatever is done alongside).
	raw, err := bcrypt.GenerateFromPassword([]byte(password), 6)
	if err != nil {
		b.Fatal(err)
	}
	legacyBcrypt := identity.PasswordHashFromEncoded(string(raw))
	older, err := argon2id.CreateHash(password, &argon2id.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		b.Fatal(err)
	}
	legacyArgon := identity.PasswordHashFromEncoded(older)

	paths := []struct {
		name string
		run  func()
	}{
		{"unknown email", func() { _ = h.VerifyDummy(ctx, "wrong password") }},
		{"current argon2id, wrong password", func() { _, _, _ = h.Verify(ctx, "wrong password", current) }},
		{"bcrypt, wrong password", func() { _, _, _ = h.Verify(ctx, "wrong password", legacyBcrypt) }},
		{"bcrypt, right password", func() { _, _, _ = h.Verify(ctx, password, legacyBcrypt) }},
		{"older argon2id, wrong password", func() { _, _, _ = h.Verify(ctx, "wrong password", legacyArgon) }},
		{"older argon2id, right password", func() { _, _, _ = h.Verify(ctx, password, legacyArgon) }},
	}
	medians := make([]time.Duration, len(paths))
	b.ResetTimer()
	for i, p := range paths {
		took := make([]time.Duration, 0, b.N)
		for n := 0; n < b.N; n++ {
			start := time.Now()
			p.run()
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		medians[i] = took[len(took)/2]
	}
	b.StopTimer()
	if b.N < 5 {
		return // the calibration round
	}
	for i, p := range paths {
		b.Logf("%-34s median %6.1f ms  ratio to unknown email %.2f", p.name,
			float64(medians[i].Microseconds())/1000, float64(medians[i])/float64(medians[0]))
	}
	for i := 1; i < len(paths); i++ {
		b.ReportMetric(float64(medians[i])/float64(medians[0]), "ratio-"+slugOf(paths[i].name))
	}
}

func slugOf(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return string(out)
}
