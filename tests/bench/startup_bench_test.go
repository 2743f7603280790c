//go:build integration

package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startBenchIdle is how long after readiness the idle RSS is read: long
// enough for the background workers' first round to have run.
const startBenchIdle = 500 * time.Millisecond

// startBenchBaselineSource is the baseline: the least a Go server can do
// before it answers, a net/http listener with the same readiness route.
const startBenchBaselineSource = `package main

import (
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		os.Exit(1)
	}
	http.HandleFunc("/api/health/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{\"status\":\"ready\"}"))
	})
	_ = http.Serve(ln, nil)
}
`

// BenchmarkServeToHealthy measures how long `authy serve` takes from the
// process start to the first 200 of GET /api/health/ready on a fresh
// embedded database (a new SQLite file in an empty directory, so every
// migration runs; no metrics listener), and its resident memory once idle
// (VmRSS, startBenchIdle after readiness). The binary is built once, like
// `make build`. Each iteration also starts, the same way, a minimal Go
// binary serving the same route from a bare net/http listener, and runs
// `authy --help` (process start and package initialisation only), so the
// figures read as ratios on a busy machine. It reports p50 and p90 of each
// across the b.N iterations.
//
//	go test -tags integration -run '^$' -bench BenchmarkServeToHealthy -benchtime 30x ./tests/bench
func BenchmarkServeToHealthy(b *testing.B) {
	dir := b.TempDir()
	authy := startBenchBuild(b, dir, "authy", "", "github.com/secuird/authy")
	baseDir := filepath.Join(dir, "baseline")
	if err := os.MkdirAll(baseDir, 0o755); err != nil {
		b.Fatal(err)
	}
	for name, body := range map[string]string{
		"go.mod":  "module baseline\n\ngo 1.26\n",
		"main.go": startBenchBaselineSource,
	} {
		if err := os.WriteFile(filepath.Join(baseDir, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	baseline := startBenchBuild(b, dir, "baseline-server", baseDir, ".")
	// The binaries are built once; the sub-benchmark is what runs b.N times.
	b.Run("fresh_sqlite", func(b *testing.B) { startBenchRun(b, authy, baseline) })
}

func startBenchRun(b *testing.B, authy, baseline string) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	// One untimed round warms the page cache for both binaries.
	startBenchServe(b, client, authy, true)
	startBenchServe(b, client, baseline, false)
	startBenchHelp(b, authy)

	var serve, serveRSS, base, baseRSS, help []float64
	b.ResetTimer()
	for range b.N {
		d, rss := startBenchServe(b, client, baseline, false)
		base, baseRSS = append(base, d), append(baseRSS, rss)
		help = append(help, startBenchHelp(b, authy))
		d, rss = startBenchServe(b, client, authy, true)
		serve, serveRSS = append(serve, d), append(serveRSS, rss)
	}
	b.StopTimer()

	p50, p90 := func(v []float64) float64 { return startBenchQuantile(v, 0.5) }, func(v []float64) float64 { return startBenchQuantile(v, 0.9) }
	b.ReportMetric(p50(serve), "serve-p50-ms")
	b.ReportMetric(p90(serve), "serve-p90-ms")
	b.ReportMetric(p50(base), "bare-p50-ms")
	b.ReportMetric(p90(base), "bare-p90-ms")
	b.ReportMetric(p50(help), "help-p50-ms")
	b.ReportMetric(p50(serve)/p50(base), "serve/bare")
	b.ReportMetric(p50(serve)/p50(help), "serve/help")
	b.ReportMetric(p50(serveRSS), "serve-rss-p50-MiB")
	b.ReportMetric(p90(serveRSS), "serve-rss-p90-MiB")
	b.ReportMetric(p50(baseRSS), "bare-rss-p50-MiB")
}

// startBenchBuild builds pkg (in dir workDir, or the module when empty) the
// way `make build` does and returns the binary's path.
func startBenchBuild(b *testing.B, dir, name, workDir, pkg string) string {
	b.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s: %v\n%s", name, err, msg)
	}
	return out
}

// startBenchServe starts bin (`serve` when it is authy) on a free port in a
// fresh directory, waits for GET /api/health/ready to answer 200 and
// returns the milliseconds that took and the process's RSS in MiB once
// idle; then it stops the process with SIGTERM and waits for it.
func startBenchServe(b *testing.B, client *http.Client, bin string, isAuthy bool) (ms, rssMiB float64) {
	b.Helper()
	dir, err := os.MkdirTemp("", "authy-startup-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	port := startBenchFreePort(b)
	var args []string
	if isAuthy {
		args = []string{"serve"}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// Only what the embedded mode needs: no DATABASE_URL or REDIS_URL from
	// the harness's environment reaches the server.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir,
		"APP_ENV=development", "HOST=127.0.0.1", "PORT=" + strconv.Itoa(port), "METRICS_ADDR=",
		"SQLITE_PATH=" + filepath.Join(dir, "authy.db"),
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/api/health/ready"

	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	ready := startBenchWaitReady(b, client, url, exited, &stderr)
	ms = float64(ready.Sub(start)) / float64(time.Millisecond)
	select {
	case err := <-exited:
		b.Fatalf("%s exited while idle: %v\n%s", filepath.Base(bin), err, stderr.String())
	case <-time.After(startBenchIdle):
	}
	return ms, startBenchRSS(b, cmd.Process.Pid)
}

// startBenchWaitReady polls url until it answers 200 (every 500 µs, so the
// poller takes little of the CPU the server starts on) and returns when.
func startBenchWaitReady(b *testing.B, client *http.Client, url string, exited <-chan error, stderr *bytes.Buffer) time.Time {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	for {
		res, err := client.Get(url)
		if err == nil {
			status := res.StatusCode
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if status == http.StatusOK {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s not ready within 30s: %v\n%s", url, err, stderr.String())
		}
		select {
		case err := <-exited:
			b.Fatalf("server exited before it was ready: %v\n%s", err, stderr.String())
		case <-tick.C:
		}
	}
}

// startBenchHelp runs `authy --help` and returns its milliseconds.
func startBenchHelp(b *testing.B, bin string) float64 {
	b.Helper()
	cmd := exec.Command(bin, "--help")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("authy --help: %v\n%s", err, out)
	}
	return float64(time.Since(start)) / float64(time.Millisecond)
}

// startBenchFreePort returns a loopback port that was free a moment ago.
func startBenchFreePort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startBenchRSS reads VmRSS of pid from /proc, in MiB.
func startBenchRSS(b *testing.B, pid int) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib / 1024
		}
	}
	b.Fatal(errors.Join(errors.New("no VmRSS in /proc status"), sc.Err()))
	return 0
}

// startBenchQuantile returns the q-quantile of v (nearest rank).
func startBenchQuantile(v []float64, q float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}
