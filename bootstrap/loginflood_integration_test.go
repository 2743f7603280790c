//go:build integration

package bootstrap

import (
	"net/http"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/secuird/authy/tests/testenv"
)

// A credential-stuffing flood the login limiter refuses must not load what
// the limiter protects: counted here, a refused login makes no database
// statement and computes no password hash (argon2id allocates its whole
// memory cost, so the process allocating less than one computation's
// memory over every refused attempt shows not one ran).
func TestLogin_ARefusedLoginCostsNoDatabaseStatementAndNoHash(t *testing.T) {
	for _, backend := range []struct {
		name       string
		production bool
	}{
		{"postgres+redis", true},
		{"sqlite+in-process", false},
	} {
		t.Run(backend.name, func(t *testing.T) {
			base, probe := hotPathServer(t, backend.production)
			c := hotPathClient{base: base, http: &http.Client{Timeout: 10 * time.Second}}
			email := "flood-" + testenv.Unique() + "@example.test"
			c.do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": "The right pass phrase 1", "name": "Flood"}, "", http.StatusCreated)
			wrong := map[string]any{"email": email, "password": "a wrong guess"}
			for range DefaultConfig().LoginFailuresPerAccountClient {
				c.do(t, "POST", "/api/v1/auth/login", wrong, "", http.StatusUnauthorized)
			}
			probe.take()
			allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
			metrics.Read(allocs)
			before := allocs[0].Value.Uint64()
			const n = 20
			for range n {
				c.do(t, "POST", "/api/v1/auth/login", wrong, "", http.StatusTooManyRequests)
			}
			metrics.Read(allocs)
			allocated := allocs[0].Value.Uint64() - before
			trips, commands, statements := probe.take()
			if len(statements) != 0 {
				t.Errorf("%d database statements for %d refused logins, want none: %v", len(statements), n, statements)
			}
			if hash := uint64(DefaultConfig().Argon2MemoryKiB) * 1024; allocated >= hash {
				t.Errorf("%d refused logins allocated %d bytes, one argon2id computation's %d or more: one hashed", n, allocated, hash)
			}
			t.Logf("%d refused logins: %d Redis round trips (%v), %d bytes allocated", n, trips, commands, allocated)
		})
	}
}
