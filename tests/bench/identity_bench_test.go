//go:build integration

package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// BenchmarkLogin measures logins per second through the whole HTTP server
// (limiter, user look-up, argon2id verification, session start and audit
// record in one transaction) as a share of raw argon2id verifications per
// second with the same parameters and the same parallelism, measured in the
// same run. Argon2id dominates a login, so the share says how much the rest
// of the path costs; p50/p99 are per-login latencies seen by the client.
//
//	go test -tags integration -run '^$' -bench BenchmarkLogin -benchtime 200x ./tests/bench
func BenchmarkLogin(b *testing.B) {
	for _, backend := range apitest.Backends {
		b.Run(backend.String(), func(b *testing.B) { benchmarkLogin(b, backend) })
	}
}

func benchmarkLogin(b *testing.B, backend apitest.Backend) {
	srv := apitest.Start(b, backend, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LogLevel = "error"
		c.LoginRateLimitPerIP = 1 << 30
		c.LoginFailuresPerAccount = 1 << 30
	}))
	cfg := srv.Config()
	email := fmt.Sprintf("bench-%s@example.com", testenv.Unique())
	const password = "benchmark passphrase 1"
	post(b, srv.URL+"/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Bench"}, http.StatusCreated)

	workers := runtime.GOMAXPROCS(0)
	hashesPerSec := baselineVerifications(b, argon2id.Params{
		Memory: cfg.Argon2MemoryKiB, Iterations: cfg.Argon2Iterations, Parallelism: cfg.Argon2Parallelism,
		SaltLength: 16, KeyLength: 32,
	}, password, workers)

	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		failures  atomic.Int64
	)
	body, _ := json.Marshal(map[string]any{"email": email, "password": password})
	client := &http.Client{Timeout: 30 * time.Second}
	b.SetParallelism(2) // two clients per core keep every hashing slot busy
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			res, err := client.Post(srv.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			d := time.Since(t0)
			if err != nil || res.StatusCode != http.StatusOK {
				failures.Add(1)
			}
			if res != nil {
				_ = res.Body.Close()
			}
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d logins failed", n, b.N)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	loginsPerSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(loginsPerSec, "logins/s")
	b.ReportMetric(hashesPerSec, "argon2id/s")
	b.ReportMetric(loginsPerSec/hashesPerSec, "login/argon2id")
	b.ReportMetric(ms(percentile(latencies, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(latencies, 0.99)), "p99-ms")
}

// baselineVerifications runs argon2id verifications of one hash on workers
// goroutines (the server's hashing slots) and returns how many per second.
func baselineVerifications(b *testing.B, p argon2id.Params, password string, workers int) float64 {
	b.Helper()
	hash, err := argon2id.CreateHash(password, &p)
	if err != nil {
		b.Fatal(err)
	}
	const perWorker = 20
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				if ok, err := argon2id.ComparePasswordAndHash(password, hash); err != nil || !ok {
					b.Error("baseline verification failed")
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(workers*perWorker) / time.Since(start).Seconds()
}

func post(b *testing.B, url string, body any, want int) {
	b.Helper()
	raw, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("POST %s: status %d, want %d", url, res.StatusCode, want)
	}
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
