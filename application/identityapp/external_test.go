package identityapp_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

func TestCreateExternalUser_OpensAPasswordlessAccountVerifiedWhenTheProviderSaysSo(t *testing.T) {
	f := newFixture(t)
	u, err := f.svc.CreateExternalUser(ctxFrom("192.0.2.10"), identityport.ExternalUserCommand{
		Email: "Ada@Example.com", EmailVerified: true, Name: "Ada", Provider: "google",
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.com" || !u.EmailVerified || u.Name != "Ada" {
		t.Fatalf("summary %+v", u)
	}
	stored := f.stored(t, u.ID)
	if stored.HasPassword() || !stored.EmailVerified() {
		t.Fatal("an external account has no password and, here, a verified email")
	}
	if has, err := f.svc.HasPassword(ctxFrom("192.0.2.10"), u.ID); err != nil || has {
		t.Fatalf("HasPassword = %v, %v", has, err)
	}
	if got := f.audit.actions(); !reflect.DeepEqual(got, []string{"auth.register.external", "auth.email.verified"}) {
		t.Fatalf("audit actions %v", got)
	}
	if d := f.audit.events[0].Details; d["provider"] != "google" || d["email_verified"] != true {
		t.Fatalf("details %v", d)
	}
	if len(f.mail.all()) != 0 {
		t.Fatal("a verified address needs no verification mail")
	}
}

func TestCreateExternalUser_AnUnverifiedEmailGetsAVerificationLinkAndTheLocalPartAsName(t *testing.T) {
	f := newFixture(t)
	u, err := f.svc.CreateExternalUser(ctxFrom("192.0.2.10"), identityport.ExternalUserCommand{Email: "grace@example.com", Provider: "microsoft"})
	if err != nil {
		t.Fatal(err)
	}
	if u.EmailVerified || u.Name != "grace" {
		t.Fatalf("summary %+v", u)
	}
	if len(f.mail.to("grace@example.com", mail.TemplateEmailVerification)) != 1 {
		t.Fatal("no verification mail")
	}
}

func TestCreateExternalUser_RefusesATakenEmailAndAppliesTheRegistrationLimit(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.RegisterPerIP = platformport.Limit{Max: 2, Window: time.Hour}
	})
	f.register(t, "bob@example.com", "UserPass123!")
	_, err := f.svc.CreateExternalUser(ctxFrom("192.0.2.10"), identityport.ExternalUserCommand{Email: "BOB@example.com", EmailVerified: true})
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("taken email: %v", err)
	}
	_, err = f.svc.CreateExternalUser(ctxFrom("192.0.2.10"), identityport.ExternalUserCommand{Email: "new@example.com", EmailVerified: true})
	if shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("third registration from one client: %v", err)
	}
}

func TestRefreshProvisionedEmail_SwitchesToTheAssertedAddressVerifiedRetiresOldLinksAndEndsNoSession(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@corp.example", "UserPass123!")
	f.login(t, "ada@corp.example", "UserPass123!")
	reset := f.forgot(t, "ada@corp.example")
	f.audit.events = nil
	f.now = t0.Add(time.Minute)
	changed, err := f.svc.RefreshProvisionedEmail(ctxFrom("192.0.2.10"), identityport.ProvisionedEmailCommand{
		User: v.ID, Email: "Ada.Lovelace@Corp.example", Details: map[string]any{"via": "sso", "connection_id": "c-1"},
	})
	if err != nil || !changed {
		t.Fatalf("refresh = %v, %v", changed, err)
	}
	u := f.stored(t, v.ID)
	if u.Email().String() != "ada.lovelace@corp.example" || !u.EmailVerified() || !u.EmailVerifiedAt().Equal(f.now) {
		t.Fatalf("stored %s verified %v", u.Email(), u.EmailVerified())
	}
	if got := f.audit.actions(); !reflect.DeepEqual(got, []string{"user.email.changed"}) {
		t.Fatalf("audit actions %v", got)
	}
	d := f.audit.events[0].Details
	if d["via"] != "sso" || d["connection_id"] != "c-1" {
		t.Fatalf("details %v", d)
	}
	for k, val := range d {
		if s, ok := val.(string); ok && strings.Contains(s, "@") {
			t.Fatalf("the record holds an address in %s", k)
		}
	}
	if len(f.sessions.revokes) != 0 {
		t.Fatalf("sessions revoked: %+v", f.sessions.revokes)
	}
	// The reset link went to the old address: it opens nothing now.
	if _, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: reset, NewPassword: "Brand new pass 1"}); !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("the old address's reset link: %v", err)
	}
	// The same address again changes nothing and records nothing.
	f.audit.events = nil
	if changed, err := f.svc.RefreshProvisionedEmail(ctxFrom("192.0.2.10"), identityport.ProvisionedEmailCommand{User: v.ID, Email: "ada.lovelace@corp.example"}); err != nil || changed {
		t.Fatalf("the same address: %v, %v", changed, err)
	}
	if len(f.audit.events) != 0 {
		t.Fatalf("audit %v", f.audit.actions())
	}
}

func TestRefreshProvisionedEmail_AnotherAccountsAddressIsRefusedAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	ada := f.register(t, "ada@corp.example", "UserPass123!")
	f.register(t, "bob@corp.example", "UserPass123!")
	f.audit.events = nil
	_, err := f.svc.RefreshProvisionedEmail(ctxFrom("192.0.2.10"), identityport.ProvisionedEmailCommand{User: ada.ID, Email: "BOB@corp.example"})
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("another account's address: %v", err)
	}
	if u := f.stored(t, ada.ID); u.Email().String() != "ada@corp.example" || u.EmailVerified() {
		t.Fatalf("stored %s verified %v", u.Email(), u.EmailVerified())
	}
	if len(f.audit.events) != 0 {
		t.Fatalf("audit %v", f.audit.actions())
	}
	if _, err := f.svc.RefreshProvisionedEmail(ctxFrom("192.0.2.10"), identityport.ProvisionedEmailCommand{User: ada.ID, Email: "not an address"}); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a malformed address: %v", err)
	}
}
