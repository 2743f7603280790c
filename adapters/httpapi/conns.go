package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

const (
	// lingerTimeout and lingerBytes bound how long and how much a closing
	// connection is drained. Closing a socket with unread input makes the
	// kernel send a reset, and a reset makes the client's kernel drop the
	// answer it has not read yet (a 431 or 413 sent before the request was
	// fully read would turn into "connection reset" at random).
	lingerTimeout = time.Second
	lingerBytes   = 1 << 20
	// maxTurningAway bounds the goroutines answering connections over a
	// limit; beyond it such connections are closed without an answer.
	maxTurningAway = 64
)

var (
	errTooManyConns = &refusal{fiber.StatusServiceUnavailable, TypeUnavailable,
		"service.too_many_connections", "the server has too many open connections"}
	errTooManyConnsFromClient = &refusal{fiber.StatusTooManyRequests, TypeRateLimited,
		"request.too_many_connections", "too many open connections from this client"}
)

// Listener wraps ln with the edge's connection rules:
//   - at most o.MaxConns open connections, and at most o.MaxConnsPerIP from
//     one client (an IPv6 client is its /64; trusted proxies are exempt, as
//     they carry many clients); 0 means no bound. A connection over a bound
//     gets one 503 or 429 envelope and is closed;
//   - every connection the server closes is shut for writing first and
//     drained briefly, so the client reads the last answer before the close.
func Listener(ln net.Listener, o Options) net.Listener {
	return &edgeListener{
		Listener:   ln,
		maxConns:   o.MaxConns,
		maxPerIP:   o.MaxConnsPerIP,
		trusted:    o.TrustedProxies,
		production: o.Production,
		perClient:  map[string]int{},
		turning:    make(chan struct{}, maxTurningAway),
	}
}

type edgeListener struct {
	net.Listener
	maxConns, maxPerIP int
	trusted            []netip.Prefix
	production         bool
	turning            chan struct{}

	mu        sync.Mutex
	open      int
	perClient map[string]int
}

// Accept returns the next connection within the bounds; connections over a
// bound are answered and closed without reaching the server.
func (l *edgeListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, refused := l.admit(c.RemoteAddr())
		if refused == nil {
			return &edgeConn{Conn: c, release: func() { l.release(key) }}, nil
		}
		l.turnAway(c, refused)
	}
}

func (l *edgeListener) admit(remote net.Addr) (string, *refusal) {
	key := ""
	if l.maxPerIP > 0 {
		if addr, ok := peerAddr(remote); ok && !inPrefixes(addr, l.trusted) {
			key = shared.ClientKey(addr.String())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.open >= l.maxConns {
		return "", errTooManyConns
	}
	if key != "" {
		if l.perClient[key] >= l.maxPerIP {
			return "", errTooManyConnsFromClient
		}
		l.perClient[key]++
	}
	l.open++
	return key, nil
}

func (l *edgeListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if key != "" {
		if l.perClient[key]--; l.perClient[key] <= 0 {
			delete(l.perClient, key)
		}
	}
}

func (l *edgeListener) turnAway(c net.Conn, r *refusal) {
	select {
	case l.turning <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.turning }()
		_ = c.SetDeadline(time.Now().Add(lingerTimeout))
		if _, err := c.Write(rawAnswer(r, l.production)); err == nil {
			lingerClose(c)
			return
		}
		_ = c.Close()
	}()
}

// rawAnswer is a whole HTTP/1.1 response carrying r in the envelope, for a
// connection the server never reads from.
func rawAnswer(r *refusal, production bool) []byte {
	id := uuid.NewString()
	body, _ := json.Marshal(envelope{
		Version: Version, Success: false, Code: r.status, Message: r.message, RequestID: id,
		Error: &envelopeError{Type: r.typ, Code: r.code},
	})
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", r.status, utils.StatusMessage(r.status))
	b.WriteString("Content-Type: application/json\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	b.WriteString("Connection: close\r\n")
	b.WriteString("Retry-After: 1\r\n")
	b.WriteString(HeaderRequestID + ": " + id + "\r\n")
	for _, kv := range securityHeaderList(production) {
		b.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return []byte(b.String())
}

// edgeConn is a served connection: it counts against the listener's bounds
// until it is really closed, and closes by lingering.
type edgeConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close shuts the connection for writing at once (the client sees the end
// of the answer) and drains and closes it in the background, so the server
// never waits on a client to finish.
func (c *edgeConn) Close() error {
	c.once.Do(func() {
		if !closeWrite(c.Conn) {
			_ = c.Conn.Close()
			c.release()
			return
		}
		go func() {
			drainAndClose(c.Conn)
			c.release()
		}()
	})
	return nil
}

func lingerClose(c net.Conn) {
	if !closeWrite(c) {
		_ = c.Close()
		return
	}
	drainAndClose(c)
}

func closeWrite(c net.Conn) bool {
	cw, ok := c.(interface{ CloseWrite() error })
	return ok && cw.CloseWrite() == nil
}

func drainAndClose(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c, lingerBytes))
	_ = c.Close()
}

func peerAddr(a net.Addr) (netip.Addr, bool) {
	if tcp, ok := a.(*net.TCPAddr); ok {
		addr, ok := netip.AddrFromSlice(tcp.IP)
		return addr.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap(), err == nil
}

func inPrefixes(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
