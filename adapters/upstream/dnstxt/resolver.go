// Package dnstxt is the outbound DNS adapter of the sso context: it reads
// the TXT records that prove an organization controls a domain, through
// the system's resolver or, when configured (DNS_RESOLVER), one server
// given as host:port (tests point it at a loopback server).
//
// It imports the standard library, ports and the domain, never
// application/.
package dnstxt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// DefaultTimeout bounds one look-up.
const DefaultTimeout = 5 * time.Second

// Resolver implements ssoport.TXTResolver.
type Resolver struct {
	r       *net.Resolver
	timeout time.Duration
}

var _ ssoport.TXTResolver = (*Resolver)(nil)

// New returns a resolver asking server (host:port) or, when server is
// empty, the system's resolver. A zero timeout is DefaultTimeout.
func New(server string, timeout time.Duration) (*Resolver, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	r := &Resolver{r: net.DefaultResolver, timeout: timeout}
	if server != "" {
		if _, _, err := net.SplitHostPort(server); err != nil {
			return nil, fmt.Errorf("DNS_RESOLVER %q: must be host:port: %w", server, err)
		}
		d := net.Dialer{Timeout: timeout}
		r.r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, server)
		}}
	}
	return r, nil
}

// LookupTXT implements ssoport.TXTResolver.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	records, err := r.r.LookupTXT(ctx, name)
	if err == nil {
		return records, nil
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, nil
	}
	return nil, fmt.Errorf("TXT %s: %v: %w", name, err, sso.ErrDNSUnavailable)
}
