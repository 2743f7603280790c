package identityapp_test

import (
	"errors"
	"reflect"
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
