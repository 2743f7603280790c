//go:build integration

// Package bench holds benchmarks of the whole server through HTTP, each
// reporting its figures against a baseline measured in the same run. They
// need the integration services (TEST_DATABASE_URL, TEST_REDIS_URL).
package bench

import (
	"os"
	"testing"

	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
