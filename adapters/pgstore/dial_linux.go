package pgstore

import (
	"strings"
	"syscall"
)

// tcpUserTimeoutOpt is TCP_USER_TIMEOUT from linux/tcp.h (18 on every
// architecture; package syscall does not name it on all of them).
const tcpUserTimeoutOpt = 0x12

// setTCPUserTimeout sets TCP_USER_TIMEOUT on a TCP socket before it connects.
func setTCPUserTimeout(network, _ string, c syscall.RawConn) error {
	if !strings.HasPrefix(network, "tcp") {
		return nil
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeoutOpt, int(tcpUserTimeout.Milliseconds()))
	})
	if err != nil {
		return err
	}
	return serr
}
