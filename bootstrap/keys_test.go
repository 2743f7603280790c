package bootstrap

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/security"
)

const (
	testSecretOld = "old-secret-key-0123456789abcdefghijkl"
	testSecretNew = "new-secret-key-0123456789abcdefghijkl"
	testEncOld    = "old-encryption-key-0123456789abcdefgh"
	testEncNew    = "new-encryption-key-0123456789abcdefgh"
	testCAKey     = "ca-encryption-key-0123456789abcdefghi"
)

func productionKeys() Config {
	c := DefaultConfig()
	c.AppEnv = EnvProduction
	c.SecretKey, c.EncryptionKey = testSecretNew, testEncNew
	return c
}

func TestConfig_RetiredKeysMustBeLongAndNeedACurrentKeyInEveryEnvironment(t *testing.T) {
	cases := map[string]struct {
		change func(*Config)
		names  []string
	}{
		"short retired encryption key": {func(c *Config) { c.EncryptionKeysPrevious = []string{testEncOld, "short-old-key"} }, []string{"ENCRYPTION_KEYS_PREVIOUS", "key 2"}},
		"key split at a comma":         {func(c *Config) { c.SecretKeysPrevious = []string{"first half of a key", "second half"} }, []string{"SECRET_KEYS_PREVIOUS", "key 1"}},
		"short retired CA key":         {func(c *Config) { c.CAEncryptionKey, c.CAEncryptionKeysPrevious = testCAKey, []string{"x"} }, []string{"CA_ENCRYPTION_KEYS_PREVIOUS"}},
		"retired encryption key alone": {func(c *Config) { c.EncryptionKey, c.EncryptionKeysPrevious = "", []string{testEncOld} }, []string{"ENCRYPTION_KEYS_PREVIOUS", "ENCRYPTION_KEY is not"}},
		"retired CA key alone":         {func(c *Config) { c.CAEncryptionKeysPrevious = []string{testCAKey} }, []string{"CA_ENCRYPTION_KEYS_PREVIOUS", "CA_ENCRYPTION_KEY is not"}},
	}
	for name, tc := range cases {
		for _, env := range []string{EnvDevelopment, EnvProduction} {
			t.Run(name+" in "+env, func(t *testing.T) {
				c := productionKeys()
				c.AppEnv = env
				tc.change(&c)
				err := c.Validate()
				if err == nil {
					t.Fatal("must be refused")
				}
				for _, want := range tc.names {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not say %q: %v", want, err)
					}
				}
				for _, secret := range []string{testEncOld, "short-old-key", "first half", testCAKey} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error shows a key: %v", err)
					}
				}
			})
		}
	}
	c := productionKeys()
	c.SecretKeysPrevious = []string{testSecretOld}
	c.EncryptionKeysPrevious = []string{testEncOld, " " + testSecretOld + " ", ""}
	c.CAEncryptionKey, c.CAEncryptionKeysPrevious = testCAKey, []string{testEncOld}
	if err := c.Validate(); err != nil {
		t.Fatalf("a rotation in progress must pass: %v", err)
	}
}

func TestConfig_ProductionRefusesAShortCAEncryptionKeyButNotAnUnsetOne(t *testing.T) {
	c := productionKeys()
	c.CAEncryptionKey = "too-short"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "CA_ENCRYPTION_KEY") {
		t.Fatalf("want CA_ENCRYPTION_KEY refused, got %v", err)
	}
	c.CAEncryptionKey = ""
	if err := c.Validate(); err != nil {
		t.Fatalf("no certificate feature needs CA_ENCRYPTION_KEY yet: %v", err)
	}
}

func TestLoadConfig_ReadsRetiredKeyListsAndAcceptsThemEmpty(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("APP_ENV", EnvProduction)
	t.Setenv("SECRET_KEY", testSecretNew)
	t.Setenv("ENCRYPTION_KEY", testEncNew)
	t.Setenv("SECRET_KEYS_PREVIOUS", "")
	t.Setenv("CA_ENCRYPTION_KEYS_PREVIOUS", "")
	t.Setenv("ENCRYPTION_KEYS_PREVIOUS", testEncOld+", "+testSecretOld+",")
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := keyList(c.EncryptionKeysPrevious); len(got) != 2 || got[0] != testEncOld || got[1] != testSecretOld {
		t.Fatalf("retired keys %q", got)
	}
	if len(keyList(c.SecretKeysPrevious)) != 0 || len(keyList(c.CAEncryptionKeysPrevious)) != 0 {
		t.Fatal("empty lists must hold no key")
	}
}

func TestBuildKeys_DevelopmentReplacesUnsetKeysWithStableInsecureKeys(t *testing.T) {
	c := DefaultConfig()
	one, err := buildKeys(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(one.development, ",") != "SECRET_KEY,ENCRYPTION_KEY,CA_ENCRYPTION_KEY" {
		t.Fatalf("development keys for %v", one.development)
	}
	two, err := buildKeys(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sealed, err := one.encryption.Seal(ctx, []byte("dev secret"), []byte("test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := two.encryption.Open(ctx, sealed, []byte("test")); err != nil {
		t.Fatalf("a restart must still open development data: %v", err)
	}
	if one.ca == nil || one.ca.KeyIDs().Current == one.encryption.KeyIDs().Current {
		t.Fatal("the CA ring must exist in development and differ from the encryption ring")
	}
	c.EncryptionKey = testEncNew
	set, err := buildKeys(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(set.development, ",") != "SECRET_KEY,CA_ENCRYPTION_KEY" || set.encryption.KeyIDs().Current == one.encryption.KeyIDs().Current {
		t.Fatalf("a configured key must be used: development %v", set.development)
	}
}

func TestBuildKeys_ARotatedConfigurationStillOpensAndVerifiesWhatTheOldOneMade(t *testing.T) {
	ctx := context.Background()
	before := productionKeys()
	before.SecretKey, before.EncryptionKey = testSecretOld, testEncOld
	old, err := buildKeys(before)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.encryption.Seal(ctx, []byte("signing key"), []byte("oauth-signing-key:k1"))
	if err != nil {
		t.Fatal(err)
	}
	sig := old.signer.Sign("test.link", []byte("payload"))

	after := productionKeys()
	after.SecretKeysPrevious = []string{" " + testSecretOld}
	after.EncryptionKeysPrevious = []string{testEncOld + " "}
	if err := after.Validate(); err != nil {
		t.Fatal(err)
	}
	rotated, err := buildKeys(after)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.encryption.Open(ctx, sealed, []byte("oauth-signing-key:k1")); err != nil || string(got) != "signing key" {
		t.Fatalf("open after rotation: %q, %v", got, err)
	}
	if err := rotated.signer.Verify("test.link", []byte("payload"), sig); err != nil {
		t.Fatalf("verify after rotation: %v", err)
	}
	if rotated.signer.Sign("test.link", []byte("payload")) == sig {
		t.Fatal("the rotated signer must sign with the new key")
	}
	if len(rotated.development) != 0 || rotated.ca != nil {
		t.Fatalf("production with CA_ENCRYPTION_KEY unset: development %v, ca %v", rotated.development, rotated.ca)
	}
}

func TestApp_HoldsTheKeysAndWarnsOnlyAboutDevelopmentKeys(t *testing.T) {
	var logs bytes.Buffer
	a := &App{cfg: productionKeys(), log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := a.buildKeys(); err != nil {
		t.Fatal(err)
	}
	if a.signer == nil || a.keyring == nil {
		t.Fatal("the signer and keyring must be set")
	}
	if a.caKeyring != nil {
		t.Fatal("an unset CA_ENCRYPTION_KEY in production must leave the CA keyring nil, not a nil pointer in an interface")
	}
	if logs.Len() != 0 {
		t.Fatalf("production logged: %s", logs.String())
	}
	dev := &App{cfg: DefaultConfig(), log: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := dev.buildKeys(); err != nil {
		t.Fatal(err)
	}
	if dev.caKeyring == nil {
		t.Fatal("development has a CA keyring")
	}
	if !strings.Contains(logs.String(), "SECRET_KEY, ENCRYPTION_KEY, CA_ENCRYPTION_KEY not set") {
		t.Fatalf("development must warn: %s", logs.String())
	}
}

func TestKeysCheck_PrintsEveryKeyIDAndNoKeyMaterial(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("APP_ENV", EnvProduction)
	t.Setenv("SECRET_KEY", testSecretNew)
	t.Setenv("SECRET_KEYS_PREVIOUS", testSecretOld)
	t.Setenv("ENCRYPTION_KEY", testEncNew)
	t.Setenv("ENCRYPTION_KEYS_PREVIOUS", testEncOld)
	t.Setenv("CA_ENCRYPTION_KEY", testCAKey)
	t.Setenv("CA_ENCRYPTION_KEYS_PREVIOUS", "")
	out := runKeysCheck(t)

	signer, _ := security.NewSigner(testSecretNew, testSecretOld)
	enc, _ := security.NewKeyring(keyringEncryption, testEncNew, testEncOld)
	ca, _ := security.NewKeyring(keyringCA, testCAKey)
	for _, line := range [][]string{
		{"SECRET_KEY", "current", signer.KeyIDs().Current},
		{"SECRET_KEYS_PREVIOUS", "retired", signer.KeyIDs().Retired[0]},
		{"ENCRYPTION_KEY", "current", enc.KeyIDs().Current},
		{"ENCRYPTION_KEYS_PREVIOUS", "retired", enc.KeyIDs().Retired[0]},
		{"CA_ENCRYPTION_KEY", "current", ca.KeyIDs().Current},
	} {
		if !hasRow(out, line...) {
			t.Errorf("no row %v in:\n%s", line, out)
		}
	}
	for _, secret := range []string{testSecretNew, testSecretOld, testEncNew, testEncOld, testCAKey, "development key"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows %q:\n%s", secret, out)
		}
	}

	t.Setenv("CA_ENCRYPTION_KEY", "")
	if out := runKeysCheck(t); !hasRow(out, "CA_ENCRYPTION_KEY", "not", "set") {
		t.Errorf("an unset CA key must be reported:\n%s", out)
	}
	t.Setenv("APP_ENV", EnvDevelopment)
	t.Setenv("SECRET_KEY", "")
	t.Setenv("SECRET_KEYS_PREVIOUS", "")
	if out := runKeysCheck(t); !strings.Contains(out, "development key") {
		t.Errorf("a development key must be flagged:\n%s", out)
	}
	t.Setenv("ENCRYPTION_KEYS_PREVIOUS", "short")
	cmd := NewRootCommand()
	cmd.SetArgs([]string{"keys", "check"})
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "ENCRYPTION_KEYS_PREVIOUS") {
		t.Fatalf("a bad configuration must fail the check: %v", err)
	}
}

func runKeysCheck(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	cmd := NewRootCommand()
	cmd.SetArgs([]string{"keys", "check"})
	cmd.SetOut(&out)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("keys check: %v", err)
	}
	return out.String()
}

func hasRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= len(fields) && strings.Join(f[:len(fields)], " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}
