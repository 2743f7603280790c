//go:build integration

// Package e2e drives the whole server over real HTTP on both backends
// (PostgreSQL + Redis, and the embedded SQLite + in-process default), with
// every response checked against the OpenAPI document by tests/apitest.
package e2e

import (
	"os"
	"testing"

	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
