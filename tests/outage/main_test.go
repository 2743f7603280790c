//go:build integration

// Package outage boots the whole server on PostgreSQL (through a loopback
// proxy the tests control) and Redis, and checks what clients get while the
// database hangs or refuses connections, and that the instance heals by
// itself once the database is back.
package outage

import (
	"os"
	"testing"

	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
