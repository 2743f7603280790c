// Package samlssotest runs a real SAML 2.0 identity provider (crewjam's
// samlidp) on loopback for tests: users and service providers are added
// through its administrative API, as an administrator would.
package samlssotest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml/logger"
	"github.com/crewjam/saml/samlidp"
)

// IdP is the running identity provider.
type IdP struct {
	t      testing.TB
	srv    *httptest.Server
	server *samlidp.Server
	URL    string
}

// Start runs an identity provider with a fresh RSA signing key until the
// test ends.
func Start(t testing.TB) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	idp := &IdP{t: t}
	mux := http.NewServeMux()
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	idp.URL = idp.srv.URL
	u, _ := url.Parse(idp.srv.URL)
	idp.server, err = samlidp.New(samlidp.Options{URL: *u, Key: key, Signer: key, Certificate: cert,
		Store: &samlidp.MemoryStore{}, Logger: logger.DefaultLogger})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", idp.server)
	return idp
}

// MetadataURL is where the identity provider publishes its metadata.
func (i *IdP) MetadataURL() string { return i.URL + "/metadata" }

// Metadata returns the identity provider's metadata document.
func (i *IdP) Metadata() string {
	i.t.Helper()
	res, err := http.Get(i.MetadataURL())
	if err != nil {
		i.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func (i *IdP) put(path, contentType, body string) {
	i.t.Helper()
	req, _ := http.NewRequest(http.MethodPut, i.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		i.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(res.Body)
		i.t.Fatalf("PUT %s: %d %s", path, res.StatusCode, b)
	}
}

// AddUser adds a user who signs in with name and password and whom the
// identity provider asserts with email.
func (i *IdP) AddUser(name, password, email, commonName string) {
	i.t.Helper()
	b, _ := json.Marshal(samlidp.User{Name: name, PlaintextPassword: &password, Email: email, CommonName: commonName})
	i.put("/users/"+name, "application/json", string(b))
}

// AddServiceProvider registers a service provider by its metadata, as an
// administrator imports it; a document the identity provider cannot use
// fails the test.
func (i *IdP) AddServiceProvider(name, metadata string) {
	i.t.Helper()
	i.put("/services/"+name, "application/samlmetadata+xml", metadata)
}
