//go:build integration

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const invisibleReason = "must not contain invisible or bidirectional control characters"

func validationOn(t *testing.T, res *apitest.Response, field string) {
	t.Helper()
	if res.Status != http.StatusBadRequest || res.Env.Error == nil || res.Env.Error.Type != "VALIDATION_ERROR" || len(res.Env.Error.Details[field]) == 0 {
		t.Fatalf("want 400 VALIDATION_ERROR on %s, got %d %s", field, res.Status, res.Body)
	}
}

func TestNormalization_TheDecomposedSpellingOfARegisteredAddressIsTheSameAccount(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			u := testenv.Unique()
			composed := fmt.Sprintf("Ren\u00e9e-%s@Caf\u00e9.example", u)
			decomposed := fmt.Sprintf("rene\u0301e-%s@cafe\u0301.example", u)
			canonical := fmt.Sprintf("ren\u00e9e-%s@xn--caf-dma.example", u)

			first := idRegister(t, srv, composed, idPassword)
			if first.Email != canonical {
				t.Fatalf("registered as %q, want the canonical %q", first.Email, canonical)
			}
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": decomposed, "password": "another passphrase", "name": "Twin"}, ""), http.StatusConflict)
			if res.Env.Error.Code != "identity.email_taken" {
				t.Fatalf("code = %s", res.Env.Error.Code)
			}
			for _, spelling := range []string{decomposed, strings.ToUpper(composed), fmt.Sprintf("ren\u00e9e-%s@XN--CAF-DMA.example", u)} {
				if l := idLoginAs(t, srv, spelling, idPassword); l.User.ID != first.ID {
					t.Fatalf("%q signed in as %s, want %s", spelling, l.User.ID, first.ID)
				}
			}
		})
	}
}

func TestNormalization_InvisibleCharactersInAnEmailAreRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			existing := idRegister(t, srv, idEmail("plain"), idPassword)
			at := strings.IndexByte(existing.Email, '@')
			for _, hidden := range []string{"\u200b", "\u200d", "\ufeff", "\u202e", "\u2066"} {
				spoof := existing.Email[:at] + hidden + existing.Email[at:]
				res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": spoof, "password": idPassword, "name": "Spoof"}, "")
				validationOn(t, res, "email")
				if got := res.Env.Error.Details["email"][0]; got != invisibleReason {
					t.Fatalf("reason %q", got)
				}
			}
		})
	}
}

func TestNormalization_NamesWithABidiOverrideAreRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			const spoofed = "Bob \u202etxt.exe"

			res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": idEmail("bidi"), "password": idPassword, "name": spoofed}, "")
			validationOn(t, res, "name")
			if got := res.Env.Error.Details["name"][0]; got != invisibleReason {
				t.Fatalf("reason %q", got)
			}

			owner := signUp(t, srv, "bidi-owner")
			validationOn(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": spoofed}, owner.token), "name")
			validationOn(t, srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Acme \u202eproC", "slug": "bidi-" + testenv.Unique()}, owner.token), "name")
			org := createOrg(t, srv, owner, map[string]any{"name": "Acme", "slug": "bidi-" + testenv.Unique()})
			validationOn(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"name": "\u2067Acme"}, owner.token), "name")
			validationOn(t, submitContact(t, srv, enquiry(spoofed), nil), "name")
		})
	}
}

func TestNormalization_AnInvitationRefusesTheAddressesRegistrationRefuses(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner := signUp(t, srv, "inviter")
			org := createOrg(t, srv, owner, map[string]any{"name": "Acme", "slug": "inv-" + testenv.Unique()})
			for _, addr := range []string{"bob@acme..com", "bob@-acme.com", "\"bob smith\"@acme.com", "bob\u200b@acme.com"} {
				validationOn(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": addr, "role": "member"}, owner.token), "email")
				validationOn(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": addr, "password": idPassword, "name": "Bob"}, ""), "email")
			}
		})
	}
}
