package bootstrap

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfig_OAuthDefaultsAndBounds(t *testing.T) {
	c := DefaultConfig()
	if c.OAuthAccessTokenTTL != time.Hour || c.OAuthRefreshTokenTTL != 30*24*time.Hour || c.OAuthAuthorizationCodeTTL != time.Minute ||
		c.OIDCIDTokenTTL != time.Hour || c.OAuthSecretRotationGrace != 24*time.Hour || c.OIDCKeyRotationDays != 90 {
		t.Fatalf("defaults: %+v", c)
	}
	for name, change := range map[string]func(*Config){
		"OAUTH_ACCESS_TOKEN_TTL":       func(c *Config) { c.OAuthAccessTokenTTL = 0 },
		"OAUTH_REFRESH_TOKEN_TTL":      func(c *Config) { c.OAuthRefreshTokenTTL = time.Minute },
		"OAUTH_AUTHORIZATION_CODE_TTL": func(c *Config) { c.OAuthAuthorizationCodeTTL = time.Hour },
		"OIDC_ID_TOKEN_TTL":            func(c *Config) { c.OIDCIDTokenTTL = 48 * time.Hour },
		"OAUTH_SECRET_ROTATION_GRACE":  func(c *Config) { c.OAuthSecretRotationGrace = -time.Second },
		"OIDC_KEY_ROTATION_DAYS":       func(c *Config) { c.OIDCKeyRotationDays = 0 },
	} {
		c := DefaultConfig()
		change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s out of range: %v", name, err)
		}
	}
}

func oauthTestConfig(t *testing.T, path, key string, previous ...string) Config {
	t.Helper()
	c := DefaultConfig()
	c.AppEnv = EnvTesting
	c.SQLitePath = path
	c.EncryptionKey, c.EncryptionKeysPrevious = key, previous
	c.MetricsAddr = ""
	return c
}

func TestKeysRotate_ReencryptsUnderTheNewKeySoTheOldOneCanGoAndPublishesSuccessors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "authy.db")
	quiet := WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	first, err := New(ctx, oauthTestConfig(t, path, testEncOld), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.oauth.keys.SigningKey(ctx, "RS256"); err != nil { // the first keys exist
		t.Fatal(err)
	}
	_ = first.Close()
	// The old key retired: the stored keys still open, and get resealed.
	rotating, err := New(ctx, oauthTestConfig(t, path, testEncNew, testEncOld), quiet)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rotating.RotateKeys(ctx, &out, false); err != nil {
		t.Fatal(err)
	}
	_ = rotating.Close()
	report := out.String()
	if !strings.Contains(report, "re-encrypted 4 key(s)") || strings.Count(report, "created") != 3 || strings.Count(report, "pending") != 3 {
		t.Fatalf("report:\n%s", report)
	}
	if strings.Contains(report, testEncOld) || strings.Contains(report, testEncNew) {
		t.Fatalf("the report shows a key:\n%s", report)
	}
	// The old key removed: everything opens with the new one alone.
	after, err := New(ctx, oauthTestConfig(t, path, testEncNew), quiet)
	if err != nil {
		t.Fatalf("the resealed keys do not open with the new key alone: %v", err)
	}
	_ = after.Close()
	// Without the reseal, removing the old key would have stopped the server.
	other := filepath.Join(t.TempDir(), "authy.db")
	a, err := New(ctx, oauthTestConfig(t, other, testEncOld), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.oauth.keys.SigningKey(ctx, "RS256"); err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	b, err := New(ctx, oauthTestConfig(t, other, testEncNew), quiet)
	if err == nil {
		_, err = b.oauth.keys.SigningKey(ctx, "RS256")
		_ = b.Close()
	}
	if err == nil {
		t.Fatal("keys sealed under a removed ENCRYPTION_KEY opened")
	}
}
