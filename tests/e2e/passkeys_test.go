//go:build integration

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// The passkey tests drive the server with a software authenticator written
// here: an ES256 key pair, "none" attestation, authenticator data and
// client data built byte by byte the way a browser and an authenticator
// build them, so each test can also build what a browser never would
// (another origin, another relying party, a counter going backwards).

const (
	pkPublicURL = "https://passkeys.authy.example"
	pkOrigin    = "https://passkeys.authy.example"
	pkRPID      = "passkeys.authy.example"
)

var pkB64 = base64.RawURLEncoding

// The authenticator data flags.
const (
	flagUP byte = 0x01
	flagUV byte = 0x04
	flagBE byte = 0x08
	flagBS byte = 0x10
	flagAT byte = 0x40
)

type softKey struct {
	key        *ecdsa.PrivateKey
	credID     []byte
	userHandle []byte
	counter    uint32
	flags      byte
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return &softKey{key: k, credID: id, flags: flagUP | flagUV}
}

func (k *softKey) coseKey(t *testing.T) []byte {
	t.Helper()
	x, y := make([]byte, 32), make([]byte, 32)
	k.key.PublicKey.X.FillBytes(x)
	k.key.PublicKey.Y.FillBytes(y)
	b, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func authData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, attested...)
}

func clientData(t *testing.T, typ, challenge, origin string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ceremonyOptions is what a begin call answers.
type ceremonyOptions struct {
	Ceremony  string    `json:"ceremony"`
	ExpiresAt time.Time `json:"expires_at"`
	Options   struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
			RP        struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"rp"`
			User struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"user"`
			AuthenticatorSelection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			ExcludeCredentials []struct {
				ID string `json:"id"`
			} `json:"excludeCredentials"`
			AllowCredentials []any  `json:"allowCredentials"`
			UserVerification string `json:"userVerification"`
		} `json:"publicKey"`
	} `json:"options"`
}

// attest answers a registration's options as an authenticator at origin
// with relying party rpID would.
func (k *softKey) attest(t *testing.T, o ceremonyOptions, origin, rpID string) map[string]any {
	t.Helper()
	uh, err := pkB64.DecodeString(o.Options.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user handle %q: %v", o.Options.PublicKey.User.ID, err)
	}
	k.userHandle = uh
	attested := make([]byte, 16) // AAGUID: zeros, as "none" attestation reports
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.credID)))
	attested = append(attested, k.credID...)
	attested = append(attested, k.coseKey(t)...)
	ad := authData(rpID, k.flags|flagAT, k.counter, attested)
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"id": pkB64.EncodeToString(k.credID), "rawId": pkB64.EncodeToString(k.credID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    pkB64.EncodeToString(clientData(t, "webauthn.create", o.Options.PublicKey.Challenge, origin)),
			"attestationObject": pkB64.EncodeToString(obj),
			"transports":        []string{"internal", "hybrid"},
		},
	}
}

// assert signs a sign-in's challenge with counter, as an authenticator at
// origin with relying party rpID would.
func (k *softKey) assert(t *testing.T, o ceremonyOptions, counter uint32, origin, rpID string) map[string]any {
	t.Helper()
	ad := authData(rpID, k.flags, counter, nil)
	cd := clientData(t, "webauthn.get", o.Options.PublicKey.Challenge, origin)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"id": pkB64.EncodeToString(k.credID), "rawId": pkB64.EncodeToString(k.credID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    pkB64.EncodeToString(cd),
			"authenticatorData": pkB64.EncodeToString(ad),
			"signature":         pkB64.EncodeToString(sig),
			"userHandle":        pkB64.EncodeToString(k.userHandle),
		},
	}
}

type pkAccount struct {
	email, token string
}

type pkView struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	LastUsedAt     *string  `json:"last_used_at"`
	UserVerified   bool     `json:"user_verified"`
	BackupEligible bool     `json:"backup_eligible"`
	Transports     []string `json:"transports"`
}

type pkLogin struct {
	Token string   `json:"token"`
	AMR   []string `json:"amr"`
	User  struct {
		Email string `json:"email"`
	} `json:"user"`
	MFARequired bool     `json:"mfa_required"`
	Challenge   string   `json:"challenge"`
	Factors     []string `json:"factors"`
}

// pkStart boots a server whose PUBLIC_URL names a domain, with sessions
// long enough to outlive the step-up window.
func pkStart(t *testing.T, backend apitest.Backend, clock *sessClock, opts ...apitest.Option) *apitest.Server {
	t.Helper()
	return sessStart(t, backend, clock, append([]apitest.Option{apitest.WithConfig(func(c *bootstrap.Config) {
		c.PublicURL = pkPublicURL
		c.SessionIdleTimeout, c.SessionAbsoluteTimeout = 3600, 7200
	})}, opts...)...)
}

func pkSignUp(t *testing.T, srv *apitest.Server) pkAccount {
	t.Helper()
	a := pkAccount{email: "pk-" + testenv.Unique() + "@example.test"}
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": a.email, "password": mfaPassword, "name": "Passkey Tester"}, ""), http.StatusCreated)
	var login sessLogin
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": a.email, "password": mfaPassword}, ""), http.StatusOK).Decode(t, &login)
	a.token = login.Token
	return a
}

func pkBeginRegistration(t *testing.T, srv *apitest.Server, token string) ceremonyOptions {
	t.Helper()
	var o ceremonyOptions
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/begin", nil, token), http.StatusOK).Decode(t, &o)
	return o
}

// pkRegister registers k for the account and returns the passkey.
func pkRegister(t *testing.T, srv *apitest.Server, a pkAccount, k *softKey, name string) pkView {
	t.Helper()
	o := pkBeginRegistration(t, srv, a.token)
	var v pkView
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{
		"ceremony": o.Ceremony, "credential": k.attest(t, o, pkOrigin, pkRPID), "name": name,
	}, a.token), http.StatusCreated).Decode(t, &v)
	return v
}

func pkBeginLogin(t *testing.T, srv *apitest.Server) ceremonyOptions {
	t.Helper()
	var o ceremonyOptions
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/webauthn/login/begin", nil, ""), http.StatusOK).Decode(t, &o)
	return o
}

func pkFinishLogin(t *testing.T, srv *apitest.Server, ceremony string, credential map[string]any) *apitest.Response {
	t.Helper()
	return srv.Do(t, "POST", "/api/v1/auth/webauthn/login/finish", map[string]any{"ceremony": ceremony, "credential": credential}, "")
}

// pkSignIn signs in with k at the next counter value.
func pkSignIn(t *testing.T, srv *apitest.Server, k *softKey) pkLogin {
	t.Helper()
	o := pkBeginLogin(t, srv)
	k.counter++
	var out pkLogin
	sessExpect(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, k.counter, pkOrigin, pkRPID)), http.StatusOK).Decode(t, &out)
	return out
}

func pkList(t *testing.T, srv *apitest.Server, token string) []pkView {
	t.Helper()
	var out struct {
		Passkeys []pkView `json:"passkeys"`
	}
	sessExpect(t, srv.Do(t, "GET", "/api/v1/users/me/mfa/webauthn", nil, token), http.StatusOK).Decode(t, &out)
	return out.Passkeys
}

func pkFailedReasons(t *testing.T, srv *apitest.Server) []string {
	t.Helper()
	var details []string
	if err := sessOpenDB(t, srv).Gorm().Raw(`SELECT CAST(details AS TEXT) FROM audit_logs WHERE action = 'passkey.failed' ORDER BY occurred_at, id`).Scan(&details).Error; err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range details {
		var m map[string]any
		if err := json.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		r, _ := m["reason"].(string)
		out = append(out, r)
	}
	return out
}

func TestPasskeys_RegisterListRenameSignInWithoutPasswordAndRemove(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			a := pkSignUp(t, srv)
			k := newSoftKey(t)

			o := pkBeginRegistration(t, srv, a.token)
			pk := o.Options.PublicKey
			if pk.RP.ID != pkRPID || pk.RP.Name != "Authy" || pk.User.Name != a.email || len(o.Ceremony) != 43 ||
				pk.AuthenticatorSelection.ResidentKey != "preferred" || pk.AuthenticatorSelection.UserVerification != "preferred" ||
				o.ExpiresAt.Sub(clock.Now()) != 5*time.Minute {
				t.Fatalf("registration options %+v", o)
			}
			var v pkView
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{
				"ceremony": o.Ceremony, "credential": k.attest(t, o, pkOrigin, pkRPID), "name": "  Laptop  ",
			}, a.token), http.StatusCreated).Decode(t, &v)
			if v.Name != "Laptop" || !v.UserVerified || v.BackupEligible || v.LastUsedAt != nil || !slices.Equal(v.Transports, []string{"internal", "hybrid"}) {
				t.Fatalf("registered %+v", v)
			}
			// The same key again is refused, and the next registration excludes it.
			o = pkBeginRegistration(t, srv, a.token)
			if len(o.Options.PublicKey.ExcludeCredentials) != 1 || o.Options.PublicKey.ExcludeCredentials[0].ID != pkB64.EncodeToString(k.credID) {
				t.Fatalf("exclusions %+v", o.Options.PublicKey.ExcludeCredentials)
			}
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{
				"ceremony": o.Ceremony, "credential": k.attest(t, o, pkOrigin, pkRPID),
			}, a.token), http.StatusConflict, "passkey.already_registered")

			sessExpect(t, srv.Do(t, "PATCH", "/api/v1/users/me/mfa/webauthn/"+v.ID, map[string]any{"name": "Work laptop"}, a.token), http.StatusOK)
			mfaExpectError(t, srv.Do(t, "PATCH", "/api/v1/users/me/mfa/webauthn/"+v.ID, map[string]any{"name": " "}, a.token), http.StatusBadRequest, "passkey.invalid_input")
			mfaExpectError(t, srv.Do(t, "PATCH", "/api/v1/users/me/mfa/webauthn/"+v.ID, map[string]any{"name": strings.Repeat("x", 65)}, a.token), http.StatusBadRequest, "passkey.invalid_input")
			if l := pkList(t, srv, a.token); len(l) != 1 || l[0].Name != "Work laptop" {
				t.Fatalf("list %+v", l)
			}

			// Passwordless: no email, the key names its account.
			o = pkBeginLogin(t, srv)
			if o.Options.PublicKey.RPID != pkRPID || len(o.Options.PublicKey.AllowCredentials) != 0 || o.Options.PublicKey.UserVerification != "preferred" {
				t.Fatalf("sign-in options %+v", o.Options.PublicKey)
			}
			k.counter = 7
			var in pkLogin
			sessExpect(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, k.counter, pkOrigin, pkRPID)), http.StatusOK).Decode(t, &in)
			if len(in.Token) < 43 || in.User.Email != a.email || !slices.Equal(in.AMR, []string{"hwk", "user", "mfa"}) {
				t.Fatalf("signed in %+v", in)
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, in.Token), http.StatusOK)
			if l := pkList(t, srv, in.Token); len(l) != 1 || l[0].LastUsedAt == nil {
				t.Fatalf("after use %+v", l)
			}

			// Without user verification the key alone is one factor.
			k.flags = flagUP
			in = pkSignIn(t, srv, k)
			if in.Token == "" || !slices.Equal(in.AMR, []string{"hwk"}) {
				t.Fatalf("signed in without verification %+v", in)
			}

			// Removal needs the step-up window: the first session's sign-in is old now.
			clock.Advance(6 * time.Minute)
			mfaExpectError(t, srv.Do(t, "DELETE", "/api/v1/users/me/mfa/webauthn/"+v.ID, nil, a.token), http.StatusForbidden, "mfa.step_up_required")
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/begin", nil, a.token), http.StatusForbidden, "mfa.step_up_required")
			fresh := pkSignIn(t, srv, k)
			sessExpect(t, srv.Do(t, "DELETE", "/api/v1/users/me/mfa/webauthn/"+v.ID, nil, fresh.Token), http.StatusOK)
			if l := pkList(t, srv, a.token); len(l) != 0 {
				t.Fatalf("after removal %+v", l)
			}
			o = pkBeginLogin(t, srv)
			k.counter++
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, k.counter, pkOrigin, pkRPID)), http.StatusUnauthorized, "passkey.invalid_credential")

			db := sessOpenDB(t, srv)
			for action, want := range map[string]int64{
				"passkey.registered": 1, "passkey.renamed": 1, "passkey.used": 3, "passkey.removed": 1, "passkey.failed": 1,
			} {
				if got := sessAuditCount(t, db, action); got != want {
					t.Errorf("%s records: %d, want %d", action, got, want)
				}
			}
			var methods []string
			if err := db.Gorm().Raw(`SELECT auth_method FROM sessions WHERE auth_method LIKE 'passkey%' ORDER BY created_at`).Scan(&methods).Error; err != nil {
				t.Fatal(err)
			}
			if len(methods) != 3 {
				t.Errorf("passkey sessions %v", methods)
			}
			var leaks int64
			if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE CAST(details AS TEXT) LIKE ? OR CAST(details AS TEXT) LIKE ? OR CAST(details AS TEXT) LIKE ?`,
				"%"+o.Ceremony+"%", "%"+o.Options.PublicKey.Challenge+"%", "%"+pkB64.EncodeToString(k.credID)+"%").Scan(&leaks).Error; err != nil {
				t.Fatal(err)
			}
			if leaks != 0 {
				t.Fatalf("%d audit records carry a token, a challenge or a credential id", leaks)
			}
		})
	}
}

func TestPasskeys_ACeremonyIsFinishedOnceAndNotAfterItExpires(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			a := pkSignUp(t, srv)
			k := newSoftKey(t)

			// Registration: a finished ceremony cannot register again.
			o := pkBeginRegistration(t, srv, a.token)
			att := k.attest(t, o, pkOrigin, pkRPID)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{"ceremony": o.Ceremony, "credential": att}, a.token), http.StatusCreated)
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{"ceremony": o.Ceremony, "credential": att}, a.token),
				http.StatusBadRequest, "passkey.ceremony_invalid")

			// Sign-in: the same assertion again, under its ceremony or a new one.
			o = pkBeginLogin(t, srv)
			k.counter = 1
			signed := k.assert(t, o, 1, pkOrigin, pkRPID)
			sessExpect(t, pkFinishLogin(t, srv, o.Ceremony, signed), http.StatusOK)
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, signed), http.StatusBadRequest, "passkey.ceremony_invalid")
			next := pkBeginLogin(t, srv)
			mfaExpectError(t, pkFinishLogin(t, srv, next.Ceremony, signed), http.StatusUnauthorized, "passkey.invalid_credential")
			// A ceremony refused once is spent: a good assertion cannot use it.
			mfaExpectError(t, pkFinishLogin(t, srv, next.Ceremony, k.assert(t, next, 2, pkOrigin, pkRPID)), http.StatusBadRequest, "passkey.ceremony_invalid")

			// Five minutes after it began a ceremony is gone.
			o = pkBeginLogin(t, srv)
			clock.Advance(5*time.Minute + time.Second)
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, 3, pkOrigin, pkRPID)), http.StatusBadRequest, "passkey.ceremony_invalid")
			mfaExpectError(t, pkFinishLogin(t, srv, "not-a-ceremony", k.assert(t, o, 3, pkOrigin, pkRPID)), http.StatusBadRequest, "passkey.ceremony_invalid")
			// A registration ceremony does not finish a sign-in.
			fresh := pkSignIn(t, srv, k)
			reg := pkBeginRegistration(t, srv, fresh.Token)
			mfaExpectError(t, pkFinishLogin(t, srv, reg.Ceremony, k.assert(t, reg, 9, pkOrigin, pkRPID)), http.StatusBadRequest, "passkey.ceremony_invalid")

			// Malformed requests change nothing and are no 500.
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/auth/webauthn/login/finish", map[string]any{"ceremony": "x"}, ""), http.StatusBadRequest, "passkey.invalid_input")
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/auth/webauthn/login/finish", map[string]any{"ceremony": "x", "credential": "text"}, ""), http.StatusBadRequest, "passkey.invalid_input")
			o = pkBeginLogin(t, srv)
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, map[string]any{"id": "AA", "type": "public-key"}), http.StatusUnauthorized, "passkey.invalid_credential")
		})
	}
}

func TestPasskeys_AnotherOriginOrRelyingPartyIsRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			a := pkSignUp(t, srv)
			k := newSoftKey(t)

			for _, c := range []struct{ why, origin, rpID string }{
				{"a phishing origin", "https://passkeys.authy.example.evil.test", pkRPID},
				{"plain http", "http://passkeys.authy.example", pkRPID},
				{"another relying party", pkOrigin, "authy.example"},
			} {
				o := pkBeginRegistration(t, srv, a.token)
				res := srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{"ceremony": o.Ceremony, "credential": k.attest(t, o, c.origin, c.rpID)}, a.token)
				if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), "passkey.registration_invalid") {
					t.Fatalf("registration from %s: %d %s", c.why, res.Status, res.Body)
				}
			}
			if l := pkList(t, srv, a.token); len(l) != 0 {
				t.Fatalf("registered from elsewhere: %+v", l)
			}
			pkRegister(t, srv, a, k, "Phone")
			for i, c := range []struct{ why, origin, rpID string }{
				{"a phishing origin", "https://passkeys.authy.example.evil.test", pkRPID},
				{"another port", "https://passkeys.authy.example:8443", pkRPID},
				{"another relying party", pkOrigin, "evil.test"},
			} {
				o := pkBeginLogin(t, srv)
				res := pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, uint32(10+i), c.origin, c.rpID))
				if res.Status != http.StatusUnauthorized || res.Env.Error == nil || res.Env.Error.Code != "passkey.invalid_credential" {
					t.Fatalf("sign-in from %s: %d %s", c.why, res.Status, res.Body)
				}
			}
			// None of those moved the counter: the key still signs in at 1.
			k.counter = 0
			pkSignIn(t, srv, k)
		})
	}
}

func TestPasskeys_ASignCounterThatDoesNotMoveForwardIsRefusedAsAClone(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			a := pkSignUp(t, srv)
			k := newSoftKey(t)
			k.counter = 4
			pkRegister(t, srv, a, k, "Key")
			in := pkSignIn(t, srv, k) // 5
			for _, counter := range []uint32{5, 3, 0} {
				o := pkBeginLogin(t, srv)
				mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, counter, pkOrigin, pkRPID)), http.StatusUnauthorized, "passkey.invalid_credential")
			}
			if got := pkFailedReasons(t, srv); !slices.Equal(got, []string{"counter_regression", "counter_regression", "counter_regression"}) {
				t.Fatalf("failure reasons %v", got)
			}
			// The genuine key, a step ahead, still signs in.
			if next := pkSignIn(t, srv, k); next.Token == "" || next.Token == in.Token {
				t.Fatalf("next sign-in %+v", next)
			}
		})
	}
}

func TestPasskeys_AnotherUsersPasskeyOrCeremonyIsRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			alice, bob := pkSignUp(t, srv), pkSignUp(t, srv)
			ka := newSoftKey(t)
			va := pkRegister(t, srv, alice, ka, "Alice's key")

			mfaExpectError(t, srv.Do(t, "PATCH", "/api/v1/users/me/mfa/webauthn/"+va.ID, map[string]any{"name": "mine"}, bob.token), http.StatusNotFound, "passkey.not_found")
			mfaExpectError(t, srv.Do(t, "DELETE", "/api/v1/users/me/mfa/webauthn/"+va.ID, nil, bob.token), http.StatusNotFound, "passkey.not_found")
			mfaExpectError(t, srv.Do(t, "DELETE", "/api/v1/users/me/mfa/webauthn/not-an-id", nil, bob.token), http.StatusNotFound, "passkey.not_found")
			if l := pkList(t, srv, bob.token); len(l) != 0 {
				t.Fatalf("bob sees %+v", l)
			}

			// Alice's key presented with Bob's user handle.
			ob := pkBeginRegistration(t, srv, bob.token)
			bobHandle, err := pkB64.DecodeString(ob.Options.PublicKey.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			forged := *ka
			forged.userHandle = bobHandle
			o := pkBeginLogin(t, srv)
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, forged.assert(t, o, 1, pkOrigin, pkRPID)), http.StatusUnauthorized, "passkey.invalid_credential")

			// Bob finishing Alice's registration ceremony.
			oa := pkBeginRegistration(t, srv, alice.token)
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{
				"ceremony": oa.Ceremony, "credential": newSoftKey(t).attest(t, oa, pkOrigin, pkRPID),
			}, bob.token), http.StatusBadRequest, "passkey.ceremony_invalid")
			// Bob finishing his own ceremony with a response to Alice's challenge.
			oa = pkBeginRegistration(t, srv, alice.token)
			att := newSoftKey(t).attest(t, oa, pkOrigin, pkRPID)
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{"ceremony": ob.Ceremony, "credential": att}, bob.token),
				http.StatusBadRequest, "passkey.registration_invalid")

			// Alice's key signs Alice in, not Bob.
			ka.counter = 0
			if in := pkSignIn(t, srv, ka); in.User.Email != alice.email {
				t.Fatalf("signed in as %s", in.User.Email)
			}
		})
	}
}

func TestPasskeys_FailedSignInsAreLimitedPerClient(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := pkStart(t, backend, mfaClock())
			k := newSoftKey(t)
			k.userHandle = make([]byte, 16)
			for i := 0; i < 10; i++ {
				o := pkBeginLogin(t, srv)
				mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, 1, pkOrigin, pkRPID)), http.StatusUnauthorized, "passkey.invalid_credential")
			}
			res := srv.Do(t, "POST", "/api/v1/auth/webauthn/login/begin", nil, "")
			mfaExpectError(t, res, http.StatusTooManyRequests, "passkey.rate_limited")
			if res.Header.Get("Retry-After") == "" {
				t.Fatalf("no Retry-After: %v", res.Header)
			}
		})
	}
}

func TestPasskeys_AnIPAddressPublicURLTurnsThemOff(t *testing.T) {
	srv := sessStart(t, apitest.Embedded, nil)
	mfaExpectError(t, srv.Do(t, "POST", "/api/v1/auth/webauthn/login/begin", nil, ""), http.StatusNotFound, "passkey.unavailable")
}

func TestPasskeys_APasskeyAnswersThePasswordSignInsSecondStep(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)
			k := newSoftKey(t)
			pkRegister(t, srv, pkAccount{email: u.email, token: u.token}, k, "Key")
			other := pkSignUp(t, srv)
			ko := newSoftKey(t)
			pkRegister(t, srv, other, ko, "Other's key")

			ch := mfaChallengeFor(t, srv, u.email)
			if !slices.Equal(ch.Factors, []string{"totp", "recovery_code", "webauthn"}) {
				t.Fatalf("factors %v", ch.Factors)
			}
			// Another account's passkey is a wrong factor, and so is a bad signature.
			o := pkBeginLogin(t, srv)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": ko.assert(t, o, 1, pkOrigin, pkRPID)}}),
				http.StatusBadRequest, "mfa.invalid_code")
			o = pkBeginLogin(t, srv)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": k.assert(t, o, 1, "https://evil.test", pkRPID)}}),
				http.StatusBadRequest, "mfa.invalid_code")
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": "123456", "webauthn": map[string]any{"ceremony": o.Ceremony, "credential": map[string]any{}}}),
				http.StatusBadRequest, "mfa.invalid_input")

			o = pkBeginLogin(t, srv)
			signed := k.assert(t, o, 1, pkOrigin, pkRPID)
			var done mfaLoginDone
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": signed}}), http.StatusOK).Decode(t, &done)
			if len(done.Token) < 43 || !slices.Equal(done.AMR, []string{"pwd", "hwk", "user", "mfa"}) {
				t.Fatalf("completed %+v", done)
			}
			// The same assertion cannot answer another challenge.
			ch = mfaChallengeFor(t, srv, u.email)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": signed}}),
				http.StatusBadRequest, "passkey.ceremony_invalid")
			// Nor a counter that did not move.
			o = pkBeginLogin(t, srv)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": k.assert(t, o, 1, pkOrigin, pkRPID)}}),
				http.StatusBadRequest, "mfa.invalid_code")

			// A passkey without user verification signing in alone meets the TOTP step.
			k.flags = flagUP
			o = pkBeginLogin(t, srv)
			var step pkLogin
			sessExpect(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, 2, pkOrigin, pkRPID)), http.StatusOK).Decode(t, &step)
			if !step.MFARequired || step.Token != "" || len(step.Challenge) < 43 {
				t.Fatalf("sign-in without verification for an account with TOTP: %+v", step)
			}
			clock.Advance(30 * time.Second)
			sessExpect(t, mfaComplete(t, srv, step.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), http.StatusOK).Decode(t, &done)
			if !slices.Equal(done.AMR, []string{"hwk", "otp", "mfa"}) {
				t.Fatalf("completed %+v", done)
			}
		})
	}
}

func TestPasskeys_EnforcedSingleSignOnCoversPasswordlessSignIn(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			dns := dnstxttest.Start(t)
			idp := upstreamtest.Start(t)
			srv := startOrgServer(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.PublicURL = pkPublicURL
				c.DNSResolver = dns.Addr
				c.SSOAllowPrivateIdP = true
			}))
			domain := "corp-" + testenv.Unique() + ".example"
			// The account and its passkey exist before the organization
			// enforces single sign-on for its address.
			member := pkAccount{email: "pk@" + domain}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": member.email, "password": mfaPassword, "name": "Member"}, ""), http.StatusCreated)
			var login sessLogin
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": member.email, "password": mfaPassword}, ""), http.StatusOK).Decode(t, &login)
			member.token = login.Token
			k := newSoftKey(t)
			pkRegister(t, srv, member, k, "Key")
			pkSignIn(t, srv, k)

			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			var d ssoDomainView
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains", map[string]any{"domain": domain}, owner.token), http.StatusCreated).Decode(t, &d)
			dns.SetTXT(d.Challenge.Name, d.Challenge.Value)
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/domains/"+domain+"/verify", nil, owner.token), http.StatusOK)
			createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{domain}, "enforce": true})

			o := pkBeginLogin(t, srv)
			k.counter++
			mfaExpectError(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, k.counter, pkOrigin, pkRPID)), http.StatusForbidden, "sso.required")
			// Another address still signs in with its passkey.
			other := pkSignUp(t, srv)
			ko := newSoftKey(t)
			pkRegister(t, srv, other, ko, "Key")
			pkSignIn(t, srv, ko)
		})
	}
}

// A passkey is a second factor for the password: an account whose only
// factor is a passkey gets mfa_required after its password and answers it
// with the passkey. Signing in with that passkey alone, without user
// verification, is not asked for the same passkey again.
func TestPasskeys_APasskeyAloneIsTheSecondFactorOfThePassword(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := pkStart(t, backend, mfaClock())
			a := pkSignUp(t, srv)
			k := newSoftKey(t)
			pkRegister(t, srv, a, k, "Only key")

			ch := mfaChallengeFor(t, srv, a.email)
			if !slices.Equal(ch.Factors, []string{"webauthn"}) {
				t.Fatalf("factors of a passkey-only account: %v", ch.Factors)
			}
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": "123456"}), http.StatusBadRequest, "mfa.invalid_code")
			o := pkBeginLogin(t, srv)
			var done mfaLoginDone
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"webauthn": map[string]any{"ceremony": o.Ceremony, "credential": k.assert(t, o, 1, pkOrigin, pkRPID)}}),
				http.StatusOK).Decode(t, &done)
			if len(done.Token) < 43 || !slices.Equal(done.AMR, []string{"pwd", "hwk", "user", "mfa"}) {
				t.Fatalf("completed %+v", done)
			}

			k.flags = flagUP
			o = pkBeginLogin(t, srv)
			var in pkLogin
			sessExpect(t, pkFinishLogin(t, srv, o.Ceremony, k.assert(t, o, 2, pkOrigin, pkRPID)), http.StatusOK).Decode(t, &in)
			if in.MFARequired || in.Token == "" || !slices.Equal(in.AMR, []string{"hwk"}) {
				t.Fatalf("a passkey-only account's sign-in without verification: %+v", in)
			}
		})
	}
}

// A refused passkey answer to the second step spends neither the login
// challenge nor the passkey ceremony: the same ceremony answered by the
// right passkey completes the sign-in, once; refusals are counted, and the
// challenge's last allowed one spends it.
func TestPasskeys_ARefusedSecondFactorAssertionCanBeRetriedWithTheSameCeremony(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := pkStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)
			k := newSoftKey(t)
			pkRegister(t, srv, pkAccount{email: u.email, token: u.token}, k, "Key")
			other := pkSignUp(t, srv)
			ko := newSoftKey(t)
			pkRegister(t, srv, other, ko, "Other's key")
			answer := func(challenge, ceremony string, credential map[string]any) *apitest.Response {
				return mfaComplete(t, srv, challenge, map[string]any{"webauthn": map[string]any{"ceremony": ceremony, "credential": credential}})
			}

			ch := mfaChallengeFor(t, srv, u.email)
			o := pkBeginLogin(t, srv)
			mfaExpectError(t, answer(ch.Challenge, o.Ceremony, ko.assert(t, o, 1, pkOrigin, pkRPID)), http.StatusBadRequest, "mfa.invalid_code")
			mfaExpectError(t, answer(ch.Challenge, o.Ceremony, k.assert(t, o, 1, "https://evil.test", pkRPID)), http.StatusBadRequest, "mfa.invalid_code")
			clock.Advance(4 * time.Minute)
			signed := k.assert(t, o, 1, pkOrigin, pkRPID)
			var done mfaLoginDone
			sessExpect(t, answer(ch.Challenge, o.Ceremony, signed), http.StatusOK).Decode(t, &done)
			if len(done.Token) < 43 || !slices.Equal(done.AMR, []string{"pwd", "hwk", "user", "mfa"}) {
				t.Fatalf("completed %+v", done)
			}
			// Single use on success: neither the challenge nor the ceremony
			// answers again.
			mfaExpectError(t, answer(ch.Challenge, o.Ceremony, signed), http.StatusUnauthorized, "mfa.challenge_invalid")
			next := mfaChallengeFor(t, srv, u.email)
			mfaExpectError(t, answer(next.Challenge, o.Ceremony, k.assert(t, o, 2, pkOrigin, pkRPID)), http.StatusBadRequest, "passkey.ceremony_invalid")

			// Refusals count against the challenge: its fifth spends it, and
			// the right passkey does not revive it.
			o = pkBeginLogin(t, srv)
			for i := 0; i < 5; i++ { // mfa.MaxChallengeFailures
				mfaExpectError(t, answer(next.Challenge, o.Ceremony, ko.assert(t, o, uint32(2+i), pkOrigin, pkRPID)), http.StatusBadRequest, "mfa.invalid_code")
			}
			res := answer(next.Challenge, o.Ceremony, k.assert(t, o, 2, pkOrigin, pkRPID))
			if res.Status == http.StatusOK {
				t.Fatalf("a spent challenge completed: %s", res.Body)
			}
		})
	}
}
