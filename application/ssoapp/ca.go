package ssoapp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/ssoport"
)

// Lifetimes of the certificate authority and of what it issues.
const (
	caLifetime   = 20 * 365 * 24 * time.Hour
	leafLifetime = 5 * 365 * 24 * time.Hour
	// leafKeyBits is the service providers' RSA key size: RSA with
	// SHA-256 is the signature every SAML identity provider verifies.
	leafKeyBits = 2048
)

// caAD binds the sealed key to its purpose.
var caAD = []byte("sso-certificate-authority")

// spKeyAD binds a service provider's sealed key to its connection.
func spKeyAD(id uuid.UUID) []byte { return []byte("sso-connection-saml-key:" + id.String()) }

// CertificateAuthority is Authy's own certificate authority: it issues
// the SAML service providers' signing certificates. Its ECDSA P-256 key is
// created on first use, stored sealed under the CA_ENCRYPTION_KEY keyring
// (Sealer), and loaded once per process.
type CertificateAuthority struct {
	store  ssoport.CAStore
	sealer platformport.Sealer
	clock  platformport.Clock

	mu     sync.Mutex
	cert   *x509.Certificate
	signer crypto.Signer
}

// NewCertificateAuthority returns the authority over store, sealed by
// sealer (the CA keyring).
func NewCertificateAuthority(store ssoport.CAStore, sealer platformport.Sealer, clock platformport.Clock) (*CertificateAuthority, error) {
	if store == nil || sealer == nil || clock == nil {
		return nil, errors.New("ssoapp: the certificate authority needs its store, the CA keyring and the clock")
	}
	return &CertificateAuthority{store: store, sealer: sealer, clock: clock}, nil
}

// load returns the authority's certificate and key, creating them when
// the database has none (of instances racing, the first stored wins and
// every one uses it).
func (a *CertificateAuthority) load(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cert != nil {
		return a.cert, a.signer, nil
	}
	rec, err := a.store.Get(ctx)
	if errors.Is(err, ssoport.ErrNoCA) {
		if rec, err = a.create(ctx); err == nil {
			_, err = a.store.Create(ctx, rec)
		}
		if err == nil {
			rec, err = a.store.Get(ctx)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("certificate authority: %w", err)
	}
	block, _ := pem.Decode([]byte(rec.Certificate))
	if block == nil {
		return nil, nil, errors.New("certificate authority: the stored certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate authority: %w", err)
	}
	der, err := a.sealer.Open(ctx, rec.SealedKey, caAD)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate authority: open the key (is CA_ENCRYPTION_KEY the one it was sealed with?): %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	signer, ok := key.(crypto.Signer)
	if err != nil || !ok {
		return nil, nil, errors.New("certificate authority: the stored key is unreadable")
	}
	a.cert, a.signer = cert, signer
	return cert, signer, nil
}

// create makes a new authority.
func (a *CertificateAuthority) create(ctx context.Context) (ssoport.CARecord, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ssoport.CARecord{}, err
	}
	now := a.clock.Now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "Authy SSO certificate authority", Organization: []string{"Authy"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(caLifetime),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return ssoport.CARecord{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ssoport.CARecord{}, err
	}
	sealed, err := a.sealer.Seal(ctx, pkcs8, caAD)
	if err != nil {
		return ssoport.CARecord{}, err
	}
	return ssoport.CARecord{Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), SealedKey: sealed, CreatedAt: now}, nil
}

// Issue returns a new RSA key pair for a service provider named
// commonName, its certificate signed by the authority.
func (a *CertificateAuthority) Issue(ctx context.Context, commonName string) (*x509.Certificate, *rsa.PrivateKey, error) {
	caCert, caKey, err := a.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, leafKeyBits)
	if err != nil {
		return nil, nil, err
	}
	now := a.clock.Now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: commonName, Organization: []string{"Authy"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(leafLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// Certificate returns the authority's own certificate (to verify what it
// issued).
func (a *CertificateAuthority) Certificate(ctx context.Context) (*x509.Certificate, error) {
	c, _, err := a.load(ctx)
	return c, err
}

// serial is a random 128-bit serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// issueSP issues connection id's service-provider key pair, its key sealed
// under the ENCRYPTION_KEY keyring.
func (s *Service) issueSP(ctx context.Context, id uuid.UUID) (sso.SPCertificate, error) {
	if s.d.CA == nil {
		return sso.SPCertificate{}, errNoCA
	}
	cert, key, err := s.d.CA.Issue(ctx, "Authy SAML service provider "+id.String())
	if err != nil {
		return sso.SPCertificate{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return sso.SPCertificate{}, err
	}
	sealed, err := s.d.Sealer.Seal(ctx, pkcs8, spKeyAD(id))
	if err != nil {
		return sso.SPCertificate{}, fmt.Errorf("seal the service provider's key: %w", err)
	}
	return sso.SPCertificate{Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})), SealedKey: sealed}, nil
}
