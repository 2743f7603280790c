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
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
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

// Posted is the identity provider's answer to the service provider: the
// auto-submitted form's target and fields.
type Posted struct {
	ACS          string
	SAMLResponse string
	RelayState   string
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	formField  = regexp.MustCompile(`name="(SAMLResponse|RelayState)" value="([^"]*)"`)
)

// SignIn follows the service provider's redirect (the HTTP-Redirect
// binding's URL) as a browser would: the identity provider's login form,
// then user's password, and returns the form it posts back.
func (i *IdP) SignIn(redirect, user, password string) Posted {
	i.t.Helper()
	res, err := http.Get(redirect)
	if err != nil {
		i.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	m := formAction.FindSubmatch(page)
	if m == nil {
		i.t.Fatalf("no login form at the identity provider (%d):\n%s", res.StatusCode, page)
	}
	form := url.Values{"user": {user}, "password": {password}}
	for _, f := range regexp.MustCompile(`name="(SAMLRequest|RelayState)" value="([^"]*)"`).FindAllSubmatch(page, -1) {
		form.Set(string(f[1]), html.UnescapeString(string(f[2])))
	}
	res, err = http.PostForm(html.UnescapeString(string(m[1])), form)
	if err != nil {
		i.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	page, _ = io.ReadAll(res.Body)
	return i.posted(res.StatusCode, page)
}

// posted reads the identity provider's response form.
func (i *IdP) posted(status int, page []byte) Posted {
	i.t.Helper()
	m := formAction.FindSubmatch(page)
	if m == nil {
		i.t.Fatalf("the identity provider did not answer with its response form (%d):\n%s", status, page)
	}
	out := Posted{ACS: html.UnescapeString(string(m[1]))}
	for _, f := range formField.FindAllSubmatch(page, -1) {
		v := html.UnescapeString(string(f[2]))
		if string(f[1]) == "SAMLResponse" {
			out.SAMLResponse = v
		} else {
			out.RelayState = v
		}
	}
	if out.SAMLResponse == "" {
		i.t.Fatalf("no SAMLResponse in:\n%s", page)
	}
	return out
}

// SignWithSHA1 makes the identity provider sign with RSA-SHA1 from now on.
func (i *IdP) SignWithSHA1() {
	i.server.IDP.SignatureMethod = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
}

// Unsolicited signs user in at the identity provider and has it send an
// IdP-initiated response to the service provider entityID, as a person
// choosing the application on the provider's portal would.
func (i *IdP) Unsolicited(entityID, user, password string) Posted {
	i.t.Helper()
	b, _ := json.Marshal(samlidp.Shortcut{Name: "portal", ServiceProviderID: entityID})
	i.put("/shortcuts/portal", "application/json", string(b))
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.PostForm(i.URL+"/login", url.Values{"user": {user}, "password": {password}})
	if err != nil {
		i.t.Fatal(err)
	}
	_ = res.Body.Close()
	res, err = client.Get(i.URL + "/login/portal")
	if err != nil {
		i.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	page, _ := io.ReadAll(res.Body)
	return i.posted(res.StatusCode, page)
}
