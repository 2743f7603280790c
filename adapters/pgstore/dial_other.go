//go:build !linux

package pgstore

import "syscall"

// setTCPUserTimeout does nothing where TCP_USER_TIMEOUT is not available;
// keepalive and the context deadlines still bound every wait.
func setTCPUserTimeout(string, string, syscall.RawConn) error { return nil }
