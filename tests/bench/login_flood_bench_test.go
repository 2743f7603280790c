//go:build integration

package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// The flood and the legitimate traffic of BenchmarkLoginUnderFlood.
const (
	// floodRate is the refused attempts per second the flood sends, about
	// ten times the logins per second two cores can verify: the flood
	// outnumbers the legitimate traffic by far, yet is a rate, not
	// whatever the benchmark's own process can send (on one machine an
	// unbounded flood only measures how the cores are shared).
	floodRate = 1000
	// floodConns clients send it, from floodAddrs addresses, each attempt
	// a wrong password for one of floodVictims accounts.
	floodConns   = 32
	floodAddrs   = 256
	floodVictims = 16
	// floodUsers are the legitimate accounts, signing in with the right
	// password, each login from an address of its own.
	floodUsers = 16
	// floodRounds interleaves the two conditions, so a machine whose load
	// changes during the run shifts both alike.
	floodRounds = 5
	// floodProbe is how many refused attempts the counting probe sends:
	// few enough that everything the process allocates meanwhile stays
	// below one argon2id computation's memory.
	floodProbe = 200
	// floodMinPerRound is the fewest logins a round measures in each
	// condition, whatever b.N (make bench's -benchtime 3s would otherwise
	// measure rounds of a few logins, too few for a ratio).
	floodMinPerRound = 40
	// floodWarmStreak refusals in a row end the warm-up.
	floodWarmStreak = 1000
)

const floodPassword = "the right passphrase 1"

// BenchmarkLoginUnderFlood measures legitimate logins per second (distinct
// users, right passwords, each login from a new address) while a flood of
// logins refused by the login limiter runs, as a share of logins per second
// without it, measured in the same run with the same server and clients,
// the two interleaved in rounds. The flood is floodRate wrong-password
// attempts per second from floodAddrs addresses against floodVictims other
// accounts; it first runs until the limiter refuses every attempt (each
// account allows LOGIN_FAILURES_PER_ACCOUNT failures from unknown clients,
// each costing a hash), then runs beside the measured logins.
//
// A refused attempt must cost no hash and no database work: before
// measuring, a probe of floodProbe refused attempts checks that the process
// allocated less than one argon2id computation's memory meanwhile (each
// allocates its whole memory cost), so not one hash ran. Reported besides
// the ratio: the flood's refused share and achieved rate, and the process's
// CPU time per refused attempt (server and client, not Redis's own), which
// says what flood rate would take a whole core.
//
//	go test -tags integration -run '^$' -bench BenchmarkLoginUnderFlood -benchtime 300x ./tests/bench
func BenchmarkLoginUnderFlood(b *testing.B) {
	for _, backend := range []struct {
		name string
		kind apitest.Backend
	}{
		{"postgres_redis", apitest.Production},
		{"sqlite_inprocess", apitest.Embedded},
	} {
		b.Run(backend.name, func(b *testing.B) { floodBench(b, backend.kind) })
	}
}

type floodBenchServer struct {
	srv     *apitest.Server
	users   []string
	victims []string
	client  *http.Client
	// addr numbers the addresses legitimate logins come from.
	addr atomic.Int64
}

func floodBench(b *testing.B, kind apitest.Backend) {
	warn := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := apitest.Start(b, kind, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LogLevel = "warn"
		// Every login carries its client's address in X-Forwarded-For.
		c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
		// Setting up registers many accounts from one address; the login
		// limits are the defaults.
		c.RegisterRateLimitPerIP = 1 << 20
	}), apitest.WithBootstrap(bootstrap.WithLogger(warn)))
	f := &floodBenchServer{srv: srv, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: floodConns + 2*runtime.GOMAXPROCS(0), MaxConnsPerHost: 0,
	}}}
	run := testenv.Unique()
	for i := range floodUsers {
		f.users = append(f.users, f.register(b, fmt.Sprintf("flood-user-%d-%s@example.test", i, run)))
	}
	for i := range floodVictims {
		f.victims = append(f.victims, f.register(b, fmt.Sprintf("flood-victim-%d-%s@example.test", i, run)))
	}

	// Warm-up: the flood at full speed until the limiter refuses all of
	// it (the hashes its allowance costs are spent here, unmeasured).
	warm := f.flood(b, 0)
	deadline := time.Now().Add(2 * time.Minute)
	for warm.refusedStreak.Load() < floodWarmStreak {
		if time.Now().After(deadline) {
			b.Fatalf("the limiter did not refuse the flood within 2 minutes (%d answered, %d refused)", warm.sent.Load(), warm.refused.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	warm.stop(b)
	allocKiB, cpuMicros := f.probe(b)
	f.logins(b, 2*runtime.GOMAXPROCS(0)) // warm the hashing slots and pools

	var quiet, flooded floodBenchSegment
	var floods []*floodBenchFlood
	per := max(b.N/floodRounds, floodMinPerRound)
	b.ResetTimer()
	for range floodRounds {
		quiet.add(f.logins(b, per))
		fl := f.flood(b, floodRate)
		time.Sleep(200 * time.Millisecond) // the flood at its pace before the logins start
		flooded.add(f.logins(b, per))
		fl.stop(b)
		floods = append(floods, fl)
	}
	b.StopTimer()
	var sent, refused, other int64
	var spent time.Duration
	for _, fl := range floods {
		sent += fl.sent.Load()
		refused += fl.refused.Load()
		other += fl.other.Load() + fl.busy.Load()
		spent += fl.elapsed
	}
	if other > 0 {
		b.Fatalf("%d of %d flood attempts were not refused by the limiter", other, sent)
	}
	b.ReportMetric(quiet.rate(), "logins/s")
	b.ReportMetric(flooded.rate(), "flooded-logins/s")
	b.ReportMetric(flooded.rate()/quiet.rate(), "flooded/quiet")
	b.ReportMetric(float64(refused)/spent.Seconds(), "flood-refused/s")
	b.ReportMetric(float64(refused)/float64(sent), "flood-refused-share")
	b.ReportMetric(ms(percentile(sortedDurations(quiet.lat), 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(sortedDurations(flooded.lat), 0.50)), "flooded-p50-ms")
	b.ReportMetric(ms(percentile(sortedDurations(flooded.lat), 0.99)), "flooded-p99-ms")
	b.ReportMetric(allocKiB, "refused-alloc-KiB/op")
	b.ReportMetric(cpuMicros, "refused-cpu-µs/op")
}

func (f *floodBenchServer) register(b *testing.B, email string) string {
	b.Helper()
	post(b, f.srv.URL+"/api/v1/auth/register", map[string]any{"email": email, "password": floodPassword, "name": "Flood"}, http.StatusCreated)
	return email
}

// login sends one login from client and returns its status.
func (f *floodBenchServer) login(email, password, client string) (int, error) {
	body, _ := json.Marshal(map[string]any{"email": email, "password": password})
	req, err := http.NewRequest("POST", f.srv.URL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", client)
	res, err := f.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode, nil
}

// floodBenchSegment is the legitimate logins of one condition.
type floodBenchSegment struct {
	n     int
	spent time.Duration
	lat   []time.Duration
}

func (s *floodBenchSegment) add(o floodBenchSegment) {
	s.n += o.n
	s.spent += o.spent
	s.lat = append(s.lat, o.lat...)
}

func (s *floodBenchSegment) rate() float64 { return float64(s.n) / s.spent.Seconds() }

// logins runs n legitimate logins from two clients per core (enough to
// keep every hashing slot busy), each from a new address, all of which
// must succeed.
func (f *floodBenchServer) logins(b *testing.B, n int) floodBenchSegment {
	b.Helper()
	var (
		next     atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
	)
	lat := make([]time.Duration, n)
	start := time.Now()
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				a := f.addr.Add(1)
				client := fmt.Sprintf("10.%d.%d.%d", a>>16&0xff, a>>8&0xff, a&0xff)
				t0 := time.Now()
				status, err := f.login(f.users[i%len(f.users)], floodPassword, client)
				lat[i] = time.Since(t0)
				if err != nil || status != http.StatusOK {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if k := failures.Load(); k > 0 {
		b.Fatalf("%d of %d legitimate logins failed", k, n)
	}
	return floodBenchSegment{n: n, spent: elapsed, lat: lat}
}

// floodBenchFlood is a running flood.
type floodBenchFlood struct {
	done    chan struct{}
	wg      sync.WaitGroup
	start   time.Time
	elapsed time.Duration
	sent    atomic.Int64
	refused atomic.Int64
	other   atomic.Int64
	busy    atomic.Int64
	// refusedStreak counts the 429s answered since the last answer that
	// was not one.
	refusedStreak atomic.Int64
	failure       atomic.Pointer[error]
}

// flood starts floodConns clients sending wrong passwords for the victims
// from floodAddrs addresses, rate attempts per second in all (0: as fast
// as they can).
func (f *floodBenchServer) flood(b *testing.B, rate int) *floodBenchFlood {
	b.Helper()
	fl := &floodBenchFlood{done: make(chan struct{}), start: time.Now()}
	for c := range floodConns {
		fl.wg.Add(1)
		go func() {
			defer fl.wg.Done()
			var interval time.Duration
			if rate > 0 {
				interval = time.Second * floodConns / time.Duration(rate)
			}
			due := time.Now().Add(interval * time.Duration(c) / floodConns)
			for k := 0; ; k++ {
				select {
				case <-fl.done:
					return
				default:
				}
				if interval > 0 {
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
					due = due.Add(interval)
				}
				n := c + k*floodConns
				client := fmt.Sprintf("198.18.%d.%d", n%floodAddrs/256, n%floodAddrs%256)
				status, err := f.login(f.victims[(n/floodAddrs+n)%floodVictims], "a wrong guess", client)
				if err != nil {
					fl.failure.CompareAndSwap(nil, &err)
					return
				}
				fl.sent.Add(1)
				switch status {
				case http.StatusTooManyRequests:
					fl.refused.Add(1)
					fl.refusedStreak.Add(1)
				case http.StatusUnauthorized:
					fl.other.Add(1)
					fl.refusedStreak.Store(0)
				case http.StatusServiceUnavailable:
					// The hasher's queue is full: the allowance's wrong
					// passwords outrun the hashing slots (warm-up only).
					fl.busy.Add(1)
					fl.refusedStreak.Store(0)
				default:
					err := fmt.Errorf("a flood attempt answered %d", status)
					fl.failure.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	return fl
}

func (fl *floodBenchFlood) stop(b *testing.B) {
	b.Helper()
	close(fl.done)
	fl.wg.Wait()
	fl.elapsed = time.Since(fl.start)
	if err := fl.failure.Load(); err != nil {
		b.Fatal(*err)
	}
}

// probe sends floodProbe refused attempts, one at a time, and checks that
// the process allocated less than one argon2id computation's memory
// meanwhile: not one of them hashed. It returns what each allocated (KiB)
// and cost the process in CPU time (µs).
func (f *floodBenchServer) probe(b *testing.B) (float64, float64) {
	b.Helper()
	hashBytes := uint64(f.srv.Config().Argon2MemoryKiB) * 1024
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(allocs)
	before := allocs[0].Value.Uint64()
	cpu := sessBenchCPU(b)
	for i := range floodProbe {
		client := fmt.Sprintf("198.18.%d.%d", i%floodAddrs/256, i%floodAddrs%256)
		status, err := f.login(f.victims[i%floodVictims], "a wrong guess", client)
		if err != nil || status != http.StatusTooManyRequests {
			b.Fatalf("probe attempt %d: %d %v, want 429", i, status, err)
		}
	}
	spent := sessBenchCPU(b) - cpu
	metrics.Read(allocs)
	allocated := allocs[0].Value.Uint64() - before
	if allocated >= hashBytes {
		b.Fatalf("%d refused attempts allocated %d bytes, at least one argon2id computation's %d: a refused attempt hashed", floodProbe, allocated, hashBytes)
	}
	return float64(allocated) / floodProbe / 1024, sessBenchMicros(spent / floodProbe)
}

func sortedDurations(d []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s
}
