package federationapp_test

import (
	"context"
	"testing"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
)

// These run the use cases on the real stores of one SQLite file: a change
// whose audit record is refused must leave nothing in the database.

func TestLink_AnIdentityWhoseAuditRecordFailsIsNotLinked(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", true, true)
	f.audit.refuse = map[string]bool{"user.identity.linked": true}
	b, err := f.svc.BeginLink(f.ctx, principal(user, f.now), federationport.BeginCommand{Provider: "acme", Binding: "b"})
	if err != nil {
		t.Fatal(err)
	}
	f.acme.answer("c", federation.Profile{Subject: "a-bob", Email: "bob@example.com"}, nil)
	if _, err := f.callback("acme", stateOf(t, b.AuthorizationURL), "c", "b"); err == nil {
		t.Fatal("a link whose audit record fails must fail")
	}
	if ids := f.identitiesOf(t, user); len(ids) != 0 {
		t.Fatalf("%d identities linked without their audit record", len(ids))
	}
	if _, err := f.store.FindBySubject(context.Background(), f.acme.Name(), "a-bob"); err == nil {
		t.Fatal("the identity outlived its rolled-back link")
	}
}

func TestComplete_ASignInWhoseAuditRecordFailsOpensNoAccountAndLinksNothing(t *testing.T) {
	for action, name := range map[string]string{
		"user.identity.linked":    "the link's record",
		"auth.external.succeeded": "the sign-in's record",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.audit.refuse = map[string]bool{action: true}
			f.google.answer("c", verified("g-1", "ada@example.com"), nil)
			if _, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCode), "c", "b"); err == nil {
				t.Fatal("a sign-in whose audit record fails must fail")
			}
			if _, err := f.directory().FindByEmail(context.Background(), "ada@example.com"); shared.KindOf(err) != shared.KindNotFound {
				t.Fatalf("the account outlived the rollback: %v", err)
			}
			if _, err := f.store.FindBySubject(context.Background(), f.google.Name(), "g-1"); err == nil {
				t.Fatal("the identity outlived the rollback")
			}
			var codes int64
			if err := f.db.Gorm().Raw(`SELECT count(*) FROM federation_login_codes`).Scan(&codes).Error; err != nil {
				t.Fatal(err)
			}
			if codes != 0 {
				t.Fatalf("%d login codes issued by a rolled-back sign-in", codes)
			}
		})
	}
}

func TestUnlink_AnUnlinkWhoseAuditRecordFailsKeepsTheIdentity(t *testing.T) {
	f := newFixture(t)
	user := f.addUser(t, "bob@example.com", true, true)
	f.google.answer("c", verified("g-bob", "bob@example.com"), nil)
	if _, err := f.callback("google", f.begin(t, "google", "b", shared.DeliverCookie), "c", "b"); err != nil {
		t.Fatal(err)
	}
	ids := f.identitiesOf(t, user)
	if len(ids) != 1 {
		t.Fatalf("%d identities", len(ids))
	}
	f.audit.refuse = map[string]bool{"user.identity.unlinked": true}
	if err := f.svc.Unlink(f.ctx, principal(user, f.now), ids[0].ID()); err == nil {
		t.Fatal("an unlink whose audit record fails must fail")
	}
	if left := f.identitiesOf(t, user); len(left) != 1 {
		t.Fatal("the identity went without its audit record")
	}
}
