package bootstrap

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfig_DefaultsMatchTheSpec(t *testing.T) {
	c := DefaultConfig()
	if c.Host != "127.0.0.1" || c.Port != 5000 || c.SessionIdleTimeout != 900 || c.SessionAbsoluteTimeout != 28800 ||
		c.ContactEmailTo != "info@secuird.tech" || c.BodyLimitBytes != 1<<20 || c.DatabaseURL != "" || !c.MigrateOnStart {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults must validate: %v", err)
	}
}

func TestConfig_ProductionRefusesWeakKeysAndSaysWhich(t *testing.T) {
	cases := []struct {
		name, secret, enc string
		wantMissing       []string
	}{
		{"both missing", "", "", []string{"SECRET_KEY", "ENCRYPTION_KEY"}},
		{"secret too short", "short", strings.Repeat("e", 32), []string{"SECRET_KEY"}},
		{"encryption missing", strings.Repeat("s", 32), "", []string{"ENCRYPTION_KEY"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.AppEnv = EnvProduction
			c.SecretKey, c.EncryptionKey = tc.secret, tc.enc
			err := c.Validate()
			if err == nil {
				t.Fatal("production must refuse")
			}
			for _, name := range tc.wantMissing {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
			if len(tc.wantMissing) == 1 {
				other := "ENCRYPTION_KEY"
				if tc.wantMissing[0] == other {
					other = "SECRET_KEY"
				}
				if strings.Contains(err.Error(), other) {
					t.Errorf("error blames %s which is fine: %v", other, err)
				}
			}
		})
	}
	c := DefaultConfig()
	c.AppEnv = EnvProduction
	c.SecretKey, c.EncryptionKey = strings.Repeat("s", 32), strings.Repeat("e", 32)
	if err := c.Validate(); err != nil {
		t.Fatalf("strong keys must pass: %v", err)
	}
}

func TestConfig_RejectsSettingsThatWouldFailLate(t *testing.T) {
	cases := map[string]func(*Config){
		"unknown env":            func(c *Config) { c.AppEnv = "staging" },
		"mysql url":              func(c *Config) { c.DatabaseURL = "mysql://x" },
		"redis url scheme":       func(c *Config) { c.RedisURL = "http://x" },
		"idle above absolute":    func(c *Config) { c.SessionIdleTimeout = 30000 },
		"weak argon2":            func(c *Config) { c.Argon2MemoryKiB = 1024 },
		"bad log level":          func(c *Config) { c.LogLevel = "loud" },
		"zero body limit":        func(c *Config) { c.BodyLimitBytes = 0 },
		"negative session limit": func(c *Config) { c.SessionAbsoluteTimeout = -1 },
		"zero login failures per account and client": func(c *Config) { c.LoginFailuresPerAccountClient = 0 },
		"zero password changes per session":          func(c *Config) { c.PasswordChangeRateLimitPerSession = 0 },
		"zero email changes per user":                func(c *Config) { c.EmailChangeRateLimitPerUser = 0 },
		"zero email changes per client":              func(c *Config) { c.EmailChangeRateLimitPerIP = 0 },
		"zero verification resends per user":         func(c *Config) { c.VerificationResendRateLimitPerUser = 0 },
		"zero verification resends per client":       func(c *Config) { c.VerificationResendRateLimitPerIP = 0 },
		"zero password resets per client":            func(c *Config) { c.PasswordResetRateLimitPerIP = 0 },
		"zero SCIM requests per token":               func(c *Config) { c.SCIMRateLimitPerToken = 0 },
		"zero password resets per account":           func(c *Config) { c.PasswordResetRateLimitPerAccount = 0 },
		"zero link tokens per client":                func(c *Config) { c.LinkTokenRateLimitPerIP = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			mutate(&c)
			if c.Validate() == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestLoadConfig_ReadsTheEnvironment(t *testing.T) {
	t.Setenv("PORT", "6123")
	t.Setenv("CORS_ORIGINS", "https://a.example,https://b.example")
	t.Setenv("APP_ENV", "testing")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 6123 || len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.example" {
		t.Fatalf("%+v", c)
	}
}

func TestCLI_EveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"migrate", "up", "--help"},
		{"migrate", "down", "--help"}, {"migrate", "status", "--help"}, {"migrate", "create", "--help"},
		{"jobs", "run", "--help"}, {"seed", "--help"}, {"healthcheck", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			root := NewRootCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "Usage:") {
				t.Fatalf("no usage in %q", out.String())
			}
		})
	}
}

func TestCLI_ServeRefusesToStartInProductionWithoutKeys(t *testing.T) {
	t.Setenv("APP_ENV", "production")
	t.Setenv("SECRET_KEY", "")
	t.Setenv("ENCRYPTION_KEY", "")
	root := NewRootCommand()
	root.SetArgs([]string{"serve"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "SECRET_KEY") || !strings.Contains(err.Error(), "ENCRYPTION_KEY") {
		t.Fatalf("serve must refuse and name the keys, got %v", err)
	}
}

func TestLoadConfig_ReadsDotEnvButTheEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=7001\nLOG_LEVEL=debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("LOG_LEVEL", "warn")
	t.Cleanup(func() { os.Unsetenv("PORT") }) // .env values are set process-wide
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 7001 {
		t.Errorf("PORT from .env = %d, want 7001", c.Port)
	}
	if c.LogLevel != "warn" {
		t.Errorf("LOG_LEVEL = %q: the real environment must win over .env", c.LogLevel)
	}
}

func TestCLI_SeedRefusesProductionUnlessForced(t *testing.T) {
	t.Setenv("APP_ENV", "production")
	t.Setenv("SECRET_KEY", strings.Repeat("s", 32))
	t.Setenv("ENCRYPTION_KEY", strings.Repeat("e", 32))
	root := NewRootCommand()
	root.SetArgs([]string{"seed"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "production") {
		t.Fatalf("seed must refuse production without --force, got %v", err)
	}
}

func TestConfig_AddrJoinsAnIPv6HostWithBrackets(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1": "127.0.0.1:5000",
		"::1":       "[::1]:5000",
		"[::1]":     "[::1]:5000",
		"0.0.0.0":   "0.0.0.0:5000",
		"localhost": "localhost:5000",
	} {
		c := DefaultConfig()
		c.Host = host
		if got := c.Addr(); got != want {
			t.Errorf("HOST=%s: Addr() = %q, want %q", host, got, want)
		}
	}
	c := DefaultConfig()
	c.Host, c.Port = "::1", 0
	ln, err := net.Listen("tcp", c.Addr())
	if err != nil {
		if strings.Contains(err.Error(), "too many colons") {
			t.Fatalf("HOST=::1 does not start: %v", err)
		}
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	ln.Close()
}

func TestConfig_MetricsListenOnLoopbackUnlessSetOrEmptied(t *testing.T) {
	if got := DefaultConfig().MetricsAddr; got != "127.0.0.1:9464" {
		t.Fatalf("default METRICS_ADDR = %q", got)
	}
	for value, want := range map[string]string{"": "", "0.0.0.0:9100": "0.0.0.0:9100", "[::1]:9464": "[::1]:9464"} {
		t.Setenv("METRICS_ADDR", value)
		c, err := LoadConfig()
		if err != nil {
			t.Fatalf("METRICS_ADDR=%q: %v", value, err)
		}
		if c.MetricsAddr != want {
			t.Errorf("METRICS_ADDR=%q read as %q", value, c.MetricsAddr)
		}
	}
	for _, bad := range []string{"9464", "127.0.0.1:http-alt", "127.0.0.1:70000"} {
		c := DefaultConfig()
		c.MetricsAddr = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
			t.Errorf("METRICS_ADDR=%q: want an error naming it, got %v", bad, err)
		}
	}
}

func TestConfig_RejectsEdgeBoundsOutOfRange(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"tiny header limit":     func(c *Config) { c.MaxHeaderBytes = 1024 },
		"huge header limit":     func(c *Config) { c.MaxHeaderBytes = 8 << 20 },
		"negative MAX_CONNS":    func(c *Config) { c.MaxConns = -1 },
		"negative per-IP bound": func(c *Config) { c.MaxConnsPerIP = -1 },
	} {
		c := DefaultConfig()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	c := DefaultConfig()
	if c.MaxHeaderBytes != 16<<10 || c.MaxConnsPerIP != 256 || c.MaxConns != 10000 {
		t.Fatalf("edge defaults: %d %d %d", c.MaxHeaderBytes, c.MaxConnsPerIP, c.MaxConns)
	}
}

func TestConfig_BoundsEveryWaitForTheDatabaseByDefaultAndRefusesNoBound(t *testing.T) {
	c := DefaultConfig()
	if c.RequestTimeout != 10*time.Second || c.DBConnectTimeout != 5*time.Second ||
		c.DBStatementTimeout != 5*time.Second || c.DBIdleInTransactionTimeout != 15*time.Second {
		t.Fatalf("timeouts %s %s %s %s", c.RequestTimeout, c.DBConnectTimeout, c.DBStatementTimeout, c.DBIdleInTransactionTimeout)
	}
	for name, mutate := range map[string]func(*Config){
		"REQUEST_TIMEOUT":                func(c *Config) { c.RequestTimeout = 0 },
		"DB_CONNECT_TIMEOUT":             func(c *Config) { c.DBConnectTimeout = 0 },
		"DB_STATEMENT_TIMEOUT":           func(c *Config) { c.DBStatementTimeout = -time.Second },
		"DB_IDLE_IN_TRANSACTION_TIMEOUT": func(c *Config) { c.DBIdleInTransactionTimeout = -time.Second },
	} {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.DBStatementTimeout, c.DBIdleInTransactionTimeout = 0, 0
	if err := c.Validate(); err != nil {
		t.Fatalf("0 leaves the server's setting: %v", err)
	}
}

func TestHealthcheck_ProbesTheHostTheServerListensOn(t *testing.T) {
	for host, want := range map[string]string{
		"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "127.0.0.1": "127.0.0.1",
		"::": "::1", "[::]": "::1", "::1": "::1", "[::1]": "::1", "10.1.2.3": "10.1.2.3",
	} {
		if got := probeHost(host); got != want {
			t.Errorf("HOST=%q: probe %q, want %q", host, got, want)
		}
	}
}
