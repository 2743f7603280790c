package oauthapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

var ctx = context.Background()

func serviceFields() oauthport.ClientFields {
	return oauthport.ClientFields{Name: "Billing API worker", GrantTypes: []string{"client_credentials"}, Scopes: []string{"billing:read"}}
}

func create(t *testing.T, f *fixture, actor shared.UserID, fields oauthport.ClientFields) oauthport.CreatedClient {
	t.Helper()
	c, err := f.svc.Create(ctx, oauthport.CreateClientCommand{Actor: actor, Organization: f.org, ClientFields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func verify(t *testing.T, f *fixture, svc *oauthapp.Service, clientID, secret string) error {
	t.Helper()
	pc, err := svc.Client(ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range pc.SecretHashes {
		if err := svc.VerifySecret(ctx, h, secret); err == nil {
			return nil
		}
	}
	return oauthport.ErrSecretMismatch
}

func TestCreate_OwnersAndAdminsOnlyMembersForbiddenOthersNotFound(t *testing.T) {
	f := newFixture(t)
	for _, actor := range []shared.UserID{f.owner, f.admin} {
		create(t, f, actor, serviceFields())
	}
	_, err := f.svc.Create(ctx, oauthport.CreateClientCommand{Actor: f.member, Organization: f.org, ClientFields: serviceFields()})
	wantErr(t, err, oauth.ErrForbidden)
	_, err = f.svc.Create(ctx, oauthport.CreateClientCommand{Actor: f.outside, Organization: f.org, ClientFields: serviceFields()})
	wantErr(t, err, oauth.ErrOrganizationNotFound)
	if _, err := f.svc.List(ctx, f.member, f.org, oauthport.Page{}); err == nil {
		t.Fatal("a member listed the clients")
	}
}

func TestCreate_AConfidentialClientGetsA256BitSecretStoredOnlyAsAKeyedHash(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	if len(c.Secret) != 43 || c.Public {
		t.Fatalf("secret %q (%d characters), public %v", c.Secret, len(c.Secret), c.Public)
	}
	var stored string
	if err := f.db.Gorm().Raw(`SELECT secret_hash FROM oauth_clients WHERE id = ?`, c.ClientID).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "hs256:") || strings.Contains(stored, c.Secret) {
		t.Fatalf("stored %q", stored)
	}
	if err := verify(t, f, f.svc, c.ClientID, c.Secret); err != nil {
		t.Fatalf("the secret does not verify: %v", err)
	}
	wrong := c.Secret[:42] + "x"
	if c.Secret[42] == 'x' {
		wrong = c.Secret[:42] + "y"
	}
	if err := verify(t, f, f.svc, c.ClientID, wrong); err == nil {
		t.Fatal("a wrong secret verified")
	}
	if f.hasher.calls != 0 {
		t.Fatal("a generated secret went through the slow hasher")
	}
	if got := f.rec.Actions(); len(got) != 1 || got[0] != oauthapp.ActionClientCreated {
		t.Fatalf("audit %v", got)
	}
	ev := f.rec.Events()[0]
	if ev.ActorID != f.owner.String() || ev.OrganizationID != f.org.String() || ev.TargetID != c.ClientID {
		t.Fatalf("audit event %+v", ev)
	}
}

func TestCreate_APublicClientHasNoSecret(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, oauthport.ClientFields{
		Name: "SPA", GrantTypes: []string{"authorization_code"}, TokenEndpointAuthMethod: "none",
		RedirectURIs: []string{"https://spa.example.com/cb"},
	})
	if c.Secret != "" || !c.Public {
		t.Fatalf("public client: secret %q public %v", c.Secret, c.Public)
	}
}

func TestCreate_RefusesInvalidFieldsWithAReasonEach(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Create(ctx, oauthport.CreateClientCommand{Actor: f.owner, Organization: f.org, ClientFields: oauthport.ClientFields{
		Name: "x", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"http://evil.example/cb#frag"},
	}})
	isKind(t, err, shared.KindInvalid)
}

func TestGet_AClientOfAnotherOrganizationIsNotFound(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	other := shared.OrganizationID(uuid.New())
	f.access.set(other, f.owner, "owner")
	_, err := f.svc.Get(ctx, f.owner, other, c.ClientID)
	wantErr(t, err, oauth.ErrClientNotFound)
	_, err = f.svc.Update(ctx, oauthport.UpdateClientCommand{Actor: f.owner, Organization: other, ClientID: c.ClientID})
	wantErr(t, err, oauth.ErrClientNotFound)
	wantErr(t, f.svc.Delete(ctx, f.owner, other, c.ClientID), oauth.ErrClientNotFound)
	if got, err := f.svc.Get(ctx, f.owner, f.org, c.ClientID); err != nil || got.Name != "Billing API worker" {
		t.Fatalf("own client: %+v %v", got, err)
	}
}

func TestRotateSecret_ThePreviousSecretWorksUntilTheGracePeriodEnds(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	r, err := f.svc.RotateSecret(ctx, f.admin, f.org, c.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Secret == c.Secret || r.PreviousSecretExpiresAt == nil || !r.PreviousSecretExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("rotation %+v", r)
	}
	for _, s := range []string{c.Secret, r.Secret} {
		if err := verify(t, f, f.svc, c.ClientID, s); err != nil {
			t.Fatalf("within the grace period: %v", err)
		}
	}
	f.clock.Advance(time.Hour)
	if err := verify(t, f, f.svc, c.ClientID, c.Secret); err == nil {
		t.Fatal("the old secret still works after the grace period")
	}
	if err := verify(t, f, f.svc, c.ClientID, r.Secret); err != nil {
		t.Fatalf("the new secret: %v", err)
	}
	if got := f.rec.Actions(); got[len(got)-1] != oauthapp.ActionClientSecretRotated {
		t.Fatalf("audit %v", got)
	}
}

func TestUpdateAndDelete_AreAuditedAndDeleteEndsTheClient(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	name := "Renamed"
	v, err := f.svc.Update(ctx, oauthport.UpdateClientCommand{Actor: f.owner, Organization: f.org, ClientID: c.ClientID, Name: &name})
	if err != nil || v.Name != "Renamed" {
		t.Fatalf("update: %+v %v", v, err)
	}
	if _, err := f.svc.Client(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, f.owner, f.org, c.ClientID); err != nil {
		t.Fatal(err)
	}
	// The protocol's cached entry goes with the client.
	if _, err := f.svc.Client(ctx, c.ClientID); !errorsIsNotFound(err) {
		t.Fatalf("deleted client served from the cache: %v", err)
	}
	got := f.rec.Actions()
	if want := []string{oauthapp.ActionClientCreated, oauthapp.ActionClientUpdated, oauthapp.ActionClientDeleted}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit %v, want %v", got, want)
	}
}

func errorsIsNotFound(err error) bool { return shared.KindOf(err) == shared.KindNotFound }

func TestList_PagesThroughTheOrganizationsClients(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		create(t, f, f.owner, serviceFields())
	}
	seen := map[string]bool{}
	page := oauthport.Page{Limit: 2}
	for {
		p, err := f.svc.List(ctx, f.owner, f.org, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Items {
			seen[c.ClientID] = true
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("listed %d clients", len(seen))
	}
	_, err := f.svc.List(ctx, f.owner, f.org, oauthport.Page{Cursor: "not-a-cursor"})
	isKind(t, err, shared.KindInvalid)
}

func TestEnsureClient_HashesAHandSetSecretSlowlyAndIsIdempotent(t *testing.T) {
	f := newFixture(t)
	cmd := oauthport.SeedClientCommand{Organization: f.org, ClientID: "acme-portal-001", Secret: "acme_secret_portal_2024",
		ClientFields: oauthport.ClientFields{Name: "Acme Portal", GrantTypes: []string{"client_credentials"}}}
	created, err := f.svc.EnsureClient(ctx, cmd)
	if err != nil || !created {
		t.Fatalf("first seed: %v %v", created, err)
	}
	if created, err := f.svc.EnsureClient(ctx, cmd); err != nil || created {
		t.Fatalf("second seed: %v %v", created, err)
	}
	if err := verify(t, f, f.svc, "acme-portal-001", "acme_secret_portal_2024"); err != nil || f.hasher.calls == 0 {
		t.Fatalf("hand-set secret: %v (slow hasher calls %d)", err, f.hasher.calls)
	}
	if err := verify(t, f, f.svc, "acme-portal-001", "acme_secret_portal_2025"); err == nil {
		t.Fatal("a wrong hand-set secret verified")
	}
}

func TestVerifySecret_RefusesForgedAndForeignHashes(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	pc, _ := f.svc.Client(ctx, c.ClientID)
	h := pc.SecretHashes[0]
	parts := strings.SplitN(h, ":", 3)
	for _, forged := range []string{
		"hs256:unknown-key:" + parts[2],
		"hs256:" + parts[1] + ":" + parts[2][:10],
		"hs256:" + parts[1],
		"plain:" + c.Secret,
		"",
	} {
		if err := f.svc.VerifySecret(ctx, forged, c.Secret); err == nil {
			t.Errorf("%q verified", forged)
		}
	}
	if err := f.svc.VerifySecret(ctx, h, ""); err == nil {
		t.Fatal("an empty secret verified")
	}
}

func TestClient_AnotherInstancesChangeIsSeenOnceTheCacheExpires(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	other := newService(t, f, f.keys) // a second instance on the same database
	if _, err := other.Client(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, f.owner, f.org, c.ClientID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	if _, err := other.Client(ctx, c.ClientID); !errorsIsNotFound(err) {
		t.Fatalf("the other instance still serves the deleted client: %v", err)
	}
}

func TestMayIntrospect_OwnTokensOrAResourceServer(t *testing.T) {
	f := newFixture(t)
	own := oauthport.ProtocolClient{ID: "a"}
	rs := oauthport.ProtocolClient{ID: "rs", ResourceServer: true}
	switch {
	case !f.svc.MayIntrospect(own, "a"):
		t.Fatal("a client may not introspect its own token")
	case f.svc.MayIntrospect(own, "b"):
		t.Fatal("a client may introspect another's token")
	case !f.svc.MayIntrospect(rs, "b"):
		t.Fatal("a resource server may not introspect")
	}
}
