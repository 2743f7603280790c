//go:build browser

package browser

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/fxamacker/cbor/v2"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// A passkey is registered over the API with a key made here, the same key
// is handed to chromium's virtual authenticator (CDP WebAuthn), and /login
// signs in with it: the page's script, the browser's WebAuthn and Authy's
// relying party meet for real.
func TestPasskeys_TheSignInPageSignsInWithAPasskeyAndNoPassword(t *testing.T) {
	srv, ctx, email, _, token := passkeyWorld(t, false)
	step(t, ctx, "open the sign-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("passkey-signin")))
	step(t, ctx, "sign in with the passkey", chromedp.Click(chromedp.ID("passkey-signin")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	if text := read(t, ctx, "read the account", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "You are signed in as "+email+".") {
		t.Fatalf("account page: %q", text)
	}
	var list struct {
		Passkeys []struct {
			LastUsedAt *string `json:"last_used_at"`
		} `json:"passkeys"`
	}
	if res := srv.Do(t, "GET", "/api/v1/users/me/mfa/webauthn", nil, token); res.Status != http.StatusOK {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	} else {
		res.Decode(t, &list)
	}
	if len(list.Passkeys) != 1 || list.Passkeys[0].LastUsedAt == nil {
		t.Fatalf("passkeys after the sign-in: %+v", list)
	}
}

// An account with a TOTP factor signs in with its password, and the code
// step takes the passkey instead of a code.
func TestPasskeys_TheCodeStepOfASignInTakesAPasskey(t *testing.T) {
	srv, ctx, email, password, _ := passkeyWorld(t, true)
	step(t, ctx, "open the sign-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")))
	signIn(t, ctx, email, password)
	step(t, ctx, "reach the code step", chromedp.WaitVisible(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("passkey-signin")))
	step(t, ctx, "answer with the passkey", chromedp.Click(chromedp.ID("passkey-signin")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	if text := read(t, ctx, "read the account", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "You are signed in as "+email+".") {
		t.Fatalf("account page: %q", text)
	}
}

// passkeyWorld boots a server on localhost with an account (and, when
// totp, a confirmed TOTP factor) whose passkey, registered over the API
// with a key made here, is held by chromium's virtual authenticator.
func passkeyWorld(t *testing.T, withTOTP bool) (*apitest.Server, context.Context, string, string, string) {
	t.Helper()
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURLAt("localhost"))
	origin := srv.URL
	email := "pk-" + testenv.Unique() + "@example.test"
	api := func(method, path string, body any, token string, want int) *apitest.Response {
		t.Helper()
		res := srv.Do(t, method, path, body, token)
		if res.Status != want {
			t.Fatalf("%s %s: %d %s", method, path, res.Status, res.Body)
		}
		return res
	}
	api("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": "Passkey-Tester-42", "name": "Passkey Tester"}, "", http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	api("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "Passkey-Tester-42"}, "", http.StatusOK).Decode(t, &login)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	credID := make([]byte, 32)
	if _, err := rand.Read(credID); err != nil {
		t.Fatal(err)
	}
	var begun struct {
		Ceremony string `json:"ceremony"`
		Options  struct {
			PublicKey struct {
				Challenge string `json:"challenge"`
				User      struct {
					ID string `json:"id"`
				} `json:"user"`
			} `json:"publicKey"`
		} `json:"options"`
	}
	api("POST", "/api/v1/users/me/mfa/webauthn/register/begin", nil, login.Token, http.StatusOK).Decode(t, &begun)
	b64 := base64.RawURLEncoding
	userHandle, err := b64.DecodeString(begun.Options.PublicKey.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	api("POST", "/api/v1/users/me/mfa/webauthn/register/finish", map[string]any{
		"ceremony": begun.Ceremony, "name": "Virtual key",
		"credential": noneAttestation(t, key, credID, begun.Options.PublicKey.Challenge, origin, "localhost"),
	}, login.Token, http.StatusCreated)

	ctx := headless(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "give chromium a virtual authenticator holding the key", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		added, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		if err != nil {
			return chromedp.Void{}, err
		}
		_, err = cdp.Call(ctx, tg, addCredential, addCredentialParams{AuthenticatorID: added.AuthenticatorID, Credential: virtualCredential{
			CredentialID: credID, IsResidentCredential: true, RpID: "localhost", PrivateKey: pkcs8, UserHandle: userHandle, SignCount: 1,
		}})
		return chromedp.Void{}, err
	})
	if withTOTP {
		var enrol struct {
			FactorID string `json:"factor_id"`
			Secret   string `json:"secret"`
		}
		api("POST", "/api/v1/users/me/mfa/totp", nil, login.Token, http.StatusCreated).Decode(t, &enrol)
		code, err := totp.GenerateCode(enrol.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		api("POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": code}, login.Token, http.StatusOK)
	}
	return srv, ctx, email, "Passkey-Tester-42", login.Token
}

// addCredential is WebAuthn.addCredential with the credential's fields
// this test sets: cdproto's Credential always sends the CMTG ones, which
// chromium's virtual authenticators refuse.
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      virtualCredential        `json:"credential"`
}

type virtualCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle"`
	SignCount            float64 `json:"signCount"`
}

// noneAttestation is a registration response with "none" attestation, as
// an authenticator holding key under credID would give at origin.
func noneAttestation(t *testing.T, key *ecdsa.PrivateKey, credID []byte, challenge, origin, rpID string) map[string]any {
	t.Helper()
	x, y := make([]byte, 32), make([]byte, 32)
	key.PublicKey.X.FillBytes(x)
	key.PublicKey.Y.FillBytes(y)
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(rpID))
	ad := append(rp[:], 0x01|0x04|0x40) // user present, verified, attested data
	ad = binary.BigEndian.AppendUint32(ad, 0)
	ad = append(ad, make([]byte, 16)...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(credID)))
	ad = append(append(ad, credID...), cose...)
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	cd, err := json.Marshal(map[string]any{"type": "webauthn.create", "challenge": challenge, "origin": origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	return map[string]any{
		"id": b64.EncodeToString(credID), "rawId": b64.EncodeToString(credID), "type": "public-key", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(obj)},
	}
}
