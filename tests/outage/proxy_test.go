//go:build integration

package outage

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxyMode is how the proxy treats traffic.
type proxyMode int

const (
	// pass forwards bytes both ways.
	pass proxyMode = iota
	// blackHole accepts connections and reads every byte without ever
	// answering, like a database that hangs while its kernel still ACKs:
	// no TCP keepalive or user timeout fires, only the client's own
	// deadlines help.
	blackHole
	// refuse closes the listener (new connections are refused) and resets
	// every open connection, like a database that is down.
	refuse
)

func (m proxyMode) String() string {
	switch m {
	case blackHole:
		return "black-hole"
	case refuse:
		return "refuse"
	default:
		return "pass"
	}
}

// dbProxy is a loopback TCP proxy in front of PostgreSQL whose mode the test
// switches. A connection that once had bytes swallowed stays a black hole
// after the proxy passes again (its protocol stream is broken), until the
// client closes it: the server must give such connections up by itself.
type dbProxy struct {
	t        testing.TB
	upstream string
	addr     string

	mu     sync.Mutex
	mode   proxyMode
	ln     net.Listener
	conns  map[*proxyConn]struct{}
	closed bool
	wg     sync.WaitGroup
}

type proxyConn struct {
	client, server net.Conn
	dead           atomic.Bool // bytes were swallowed: never forward again
	once           sync.Once
}

func (c *proxyConn) close(reset bool) {
	c.once.Do(func() {
		for _, nc := range []net.Conn{c.client, c.server} {
			if nc == nil {
				continue
			}
			if tc, ok := nc.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0)
			}
			_ = nc.Close()
		}
	})
}

// startProxy listens on a loopback port in pass mode and forwards to
// upstream (host:port). It is closed when the test ends.
func startProxy(t testing.TB, upstream string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{t: t, upstream: upstream, addr: ln.Addr().String(), ln: ln, conns: map[*proxyConn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *dbProxy) Addr() string { return p.addr }

// Set switches the proxy's mode.
func (p *dbProxy) Set(m proxyMode) {
	p.t.Helper()
	p.mu.Lock()
	prev := p.mode
	p.mode = m
	var resets []*proxyConn
	if m == refuse && prev != refuse {
		_ = p.ln.Close()
		for c := range p.conns {
			resets = append(resets, c)
		}
	}
	p.mu.Unlock()
	for _, c := range resets {
		c.close(true)
	}
	if prev == refuse && m != refuse {
		p.relisten()
	}
}

// relisten binds the proxy's address again after refuse, retrying while the
// port is still held by closing sockets.
func (p *dbProxy) relisten() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.mu.Lock()
			p.ln = ln
			p.mu.Unlock()
			p.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("proxy cannot listen on %s again: %v", p.addr, err)
		}
		time.Sleep(20 * time.Millisecond) // retry interval for the bind, not a wait for the server
	}
}

func (p *dbProxy) serve(ln net.Listener) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.handle(c)
			}()
		}
	}()
}

func (p *dbProxy) handle(client net.Conn) {
	pc := &proxyConn{client: client}
	p.mu.Lock()
	mode, closed := p.mode, p.closed
	if !closed {
		p.conns[pc] = struct{}{}
	}
	p.mu.Unlock()
	defer func() {
		pc.close(false)
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	switch {
	case closed || mode == refuse:
		pc.close(true)
		return
	case mode == blackHole:
		pc.dead.Store(true)
		_, _ = io.Copy(io.Discard, client)
		return
	}
	server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		pc.close(true)
		return
	}
	pc.server = server
	done := make(chan struct{}, 2)
	go func() { p.pipe(pc, client, server); done <- struct{}{} }()
	go func() { p.pipe(pc, server, client); done <- struct{}{} }()
	<-done
	pc.close(false)
	<-done
}

// pipe copies src to dst until either side closes, swallowing everything
// once the proxy black-holes this connection.
func (p *dbProxy) pipe(pc *proxyConn, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.swallow(pc) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				pc.close(true)
			}
			return
		}
	}
}

func (p *dbProxy) swallow(pc *proxyConn) bool {
	if pc.dead.Load() {
		return true
	}
	p.mu.Lock()
	bh := p.mode == blackHole
	p.mu.Unlock()
	if bh {
		pc.dead.Store(true)
	}
	return bh
}

func (p *dbProxy) close() {
	p.mu.Lock()
	p.closed = true
	_ = p.ln.Close()
	var all []*proxyConn
	for c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.close(true)
	}
	p.wg.Wait()
}
