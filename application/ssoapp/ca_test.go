package ssoapp_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/ssopg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/ssoapp"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

func caKeyring(t *testing.T, key string) *security.Keyring {
	t.Helper()
	k, err := security.NewKeyring("ca", key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Instances starting together share one authority; what it issues chains
// to it; and the authority's key opens only under its CA_ENCRYPTION_KEY.
func TestCertificateAuthority_OneAuthorityIssuesCertificatesThatChainToIt(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	clock := platformporttest.NewClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	ring := caKeyring(t, "a certificate authority key of at least thirty-two bytes")
	ctx := context.Background()
	cas := make([]*ssoapp.CertificateAuthority, 4)
	roots := make([]*x509.Certificate, len(cas))
	errs := make([]error, len(cas))
	var wg sync.WaitGroup
	for i := range cas {
		ca, err := ssoapp.NewCertificateAuthority(ssopg.New(db).CA(), ring, clock)
		if err != nil {
			t.Fatal(err)
		}
		cas[i] = ca
		wg.Add(1)
		go func() {
			defer wg.Done()
			roots[i], errs[i] = ca.Certificate(ctx)
		}()
	}
	wg.Wait()
	for i, r := range roots {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r == nil || !r.Equal(roots[0]) || !r.IsCA {
			t.Fatalf("instance %d has another authority", i)
		}
	}
	leaf, key, err := cas[3].Issue(ctx, "Authy SAML service provider test")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(roots[0])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("the issued certificate does not chain to the authority: %v", err)
	}
	if key.N.BitLen() != 2048 || !leaf.PublicKey.(*rsa.PublicKey).Equal(&key.PublicKey) || leaf.IsCA {
		t.Fatal("the certificate is not the key's, or is a CA")
	}

	other, err := ssoapp.NewCertificateAuthority(ssopg.New(db).CA(), caKeyring(t, "another certificate authority key of thirty-two bytes"), clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Issue(ctx, "x"); err == nil {
		t.Fatal("the authority's key opened under another CA_ENCRYPTION_KEY")
	}
}
