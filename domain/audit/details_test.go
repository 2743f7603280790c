package audit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secuird/authy/domain/audit"
)

func TestNewDetails_DropsSecretsWhereverTheyAre(t *testing.T) {
	cases := []struct {
		name string
		in   map[string]any
		want string
	}{
		{"nothing", nil, `{}`},
		{"plain facts stay", map[string]any{"reason": "wrong_password", "fields": []string{"name"}}, `{"fields":["name"],"reason":"wrong_password"}`},
		{"password", map[string]any{"password": "hunter22", "reason": "x"}, `{"_redacted":["password"],"reason":"x"}`},
		{"case and separators", map[string]any{"New-Password": "a", "Refresh_Token": "b", "clientSecret": "c", "PASSWORD_HASH": "d"},
			`{"_redacted":["New-Password","PASSWORD_HASH","Refresh_Token","clientSecret"]}`},
		{"api keys, credentials, cookies", map[string]any{"api_key": 1, "credentials": 2, "Cookie": 3, "authorization": 4, "n": 5},
			`{"_redacted":["Cookie","api_key","authorization","credentials"],"n":5}`},
		{"nested", map[string]any{"session": map[string]any{"id": "s1", "token_hash": "x"}}, `{"_redacted":["session.token_hash"],"session":{"id":"s1"}}`},
		{"inside arrays", map[string]any{"list": []any{map[string]any{"token": "t"}, map[string]any{"token": "u", "k": 1}}},
			`{"_redacted":["list[].token"],"list":[{},{"k":1}]}`},
		{"hash-looking values under innocent keys", map[string]any{"old": "$argon2id$v=19$m=19456,t=2,p=1$abc$def", "legacy": "$2b$10$abcdefghij", "vals": []any{"$2a$x", "ok"}},
			`{"_redacted":["legacy","old","vals[]"],"vals":["ok"]}`},
		{"numbers keep their text", map[string]any{"count": 3, "ratio": 0.5}, `{"count":3,"ratio":0.5}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := audit.NewDetails(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(d.JSON()); got != c.want {
				t.Fatalf("details = %s, want %s", got, c.want)
			}
			for _, secret := range []string{"hunter22", "$argon2", "$2b$"} {
				if strings.Contains(string(d.JSON()), secret) {
					t.Fatalf("secret %q kept in %s", secret, d.JSON())
				}
			}
		})
	}
}

func TestNewDetails_IsCanonicalWhateverTheInsertionOrder(t *testing.T) {
	a, _ := audit.NewDetails(map[string]any{"b": 1, "a": map[string]any{"y": 1, "x": 2}})
	b, _ := audit.NewDetails(map[string]any{"a": map[string]any{"x": 2, "y": 1}, "b": 1})
	if string(a.JSON()) != string(b.JSON()) || string(a.JSON()) != `{"a":{"x":2,"y":1},"b":1}` {
		t.Fatalf("%s vs %s", a.JSON(), b.JSON())
	}
}

func TestNewDetails_RefusesTooLargeOrUnencodable(t *testing.T) {
	if _, err := audit.NewDetails(map[string]any{"big": strings.Repeat("x", audit.MaxDetailsBytes)}); !errors.Is(err, audit.ErrDetailsTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if _, err := audit.NewDetails(map[string]any{"f": func() {}}); err == nil {
		t.Fatal("a function is not JSON")
	}
}

func TestIsSensitiveKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "current_password": true, "token": true, "id_token": true, "secret": true,
		"hash": true, "hashed": true, "reason": false, "email": false, "fields": false, "role": false,
	} {
		if got := audit.IsSensitiveKey(key); got != want {
			t.Errorf("IsSensitiveKey(%q) = %v, want %v", key, got, want)
		}
	}
}
