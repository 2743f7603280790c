package pgstore

import (
	"net"
	"syscall"
	"testing"
)

func TestDialer_SetsTCPUserTimeoutOnPostgresConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
		}
	}()
	pg, err := pgConfig(Options{URL: "postgres://postgres@" + ln.Addr().String() + "/authy"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pg.DialFunc(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got, keepAlive int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		got, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeoutOpt)
		if serr == nil {
			keepAlive, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		}
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if got != int(tcpUserTimeout.Milliseconds()) || keepAlive != 1 {
		t.Fatalf("TCP_USER_TIMEOUT = %d ms, SO_KEEPALIVE = %d; want %d ms and 1", got, keepAlive, tcpUserTimeout.Milliseconds())
	}
}
