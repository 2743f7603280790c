// Package smtptest runs a real SMTP server (emersion/go-smtp) on loopback
// for tests of mail delivery: it records every accepted message, can refuse
// chosen attempts with an SMTP reply, offer STARTTLS or implicit TLS with a
// throw-away certificate, and require AUTH PLAIN.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted mail.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

// Options configure a Server.
type Options struct {
	// TLS, when set, is offered through STARTTLS, or from the first byte
	// when Implicit is true.
	TLS      *tls.Config
	Implicit bool
	// Users, when set, makes AUTH PLAIN mandatory with these credentials.
	Users map[string]string
	// Reply decides the answer to the n-th DATA command (from 1): nil
	// accepts the message, an error (such as TempFail or PermFail) refuses it.
	Reply func(n int) error
}

// TempFail and PermFail are typical refusals.
var (
	TempFail = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	PermFail = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected by policy"}
)

// Server is a running test SMTP server.
type Server struct {
	opts Options
	srv  *smtp.Server
	ln   net.Listener

	mu       sync.Mutex
	messages []Message
	attempts int
}

// FreeAddr returns a loopback address nobody listens on (yet), for a
// server that starts later.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB, o Options) *Server { return StartAt(t, "127.0.0.1:0", o) }

// StartAt runs a server on addr until the test ends.
func StartAt(t testing.TB, addr string, o Options) *Server {
	t.Helper()
	s := &Server{opts: o}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{s: s, tls: isTLS}, nil
	})
	s.srv = smtp.NewServer(be)
	s.srv.Domain = "mx.test"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.ErrorLog = nopLogger{}
	if o.TLS != nil && !o.Implicit {
		s.srv.TLSConfig = o.TLS
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if o.TLS != nil && o.Implicit {
		ln = tls.NewListener(ln, o.TLS)
	}
	s.ln = ln
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an SMTP_URL for this server, without credentials.
func (s *Server) URL() string {
	if s.opts.Implicit {
		return "smtps://" + s.Addr()
	}
	return "smtp://" + s.Addr()
}

// Close stops the server; it is safe to call twice.
func (s *Server) Close() { _ = s.srv.Close() }

// Messages returns the accepted messages so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Attempts counts DATA commands, accepted or refused.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// WaitFor polls until at least n messages arrived and returns them; it
// fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: %d of %d messages after %v (%d attempts)", len(s.Messages()), n, timeout, s.Attempts())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	tls  bool
	user string
	from string
	to   []string
}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.Users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := se.s.opts.Users[user]; !ok || want != pass {
			return errors.New("invalid credentials")
		}
		se.user = user
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.Users != nil && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	se.s.attempts++
	if se.s.opts.Reply != nil {
		if err := se.s.opts.Reply(se.s.attempts); err != nil {
			return err
		}
	}
	se.s.messages = append(se.s.messages, Message{From: se.from, To: append([]string(nil), se.to...), Data: data, TLS: se.tls, User: se.user})
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

// SelfSigned returns a server TLS config with a fresh certificate for
// 127.0.0.1 and localhost, and a client config that trusts only it.
func SelfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}

// String describes a message for failure output.
func (m Message) String() string {
	return fmt.Sprintf("from %s to %v (tls=%v user=%q):\n%s", m.From, m.To, m.TLS, m.User, m.Data)
}
