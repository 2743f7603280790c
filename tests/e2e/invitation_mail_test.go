//go:build integration

package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// mailText returns the decoded text/plain part of a captured message.
func mailText(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") {
		t.Fatalf("want a multipart mail, got %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct != "text/plain" {
			continue
		}
		var body io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(p)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatal("the mail has no text part")
	return ""
}

var acceptLink = regexp.MustCompile(`/invitations/accept\?token=([A-Za-z0-9_-]+)`)

func TestInvitations_EveryInvitationIsMailedWithALinkThatOnlyItsInviteeCanRedeem(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			mx := smtptest.Start(t, smtptest.Options{})
			srv := startOrgServer(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.SMTPURL = mx.URL()
				c.MailFrom = "Authy <no-reply@authy.test>"
			}))
			owner, invitee, other := signUp(t, srv, "mailowner"), signUp(t, srv, "mailinvitee"), signUp(t, srv, "mailother")
			org := createOrg(t, srv, owner, map[string]any{"name": "Mailed Inc"})
			expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members",
				map[string]any{"email": invitee.email, "role": "admin"}, owner.token), http.StatusCreated)

			// The invitee also receives account mail (verification): find the
			// one with the accept link.
			var text string
			var m []string
			deadline := time.Now().Add(20 * time.Second)
			for m == nil {
				for _, msg := range mx.Messages() {
					if len(msg.To) == 1 && msg.To[0] == invitee.email {
						if body := mailText(t, msg.Data); acceptLink.MatchString(body) {
							text, m = body, acceptLink.FindStringSubmatch(body)
						}
					}
				}
				if m == nil {
					if time.Now().After(deadline) {
						t.Fatalf("no invitation mail reached %s (got %d mails)", invitee.email, len(mx.Messages()))
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			if !strings.Contains(text, "Mailed Inc") || !strings.Contains(text, owner.name) {
				t.Fatalf("the mail does not name the organization and the inviter:\n%s", text)
			}
			token := m[1]

			// The link is useless to anyone but the invitee.
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, other.token),
				http.StatusNotFound, "organizations.invitation_not_found")
			expect(t, srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, invitee.token), http.StatusOK)
			if got := roleOf(members(t, srv, org.ID, owner), invitee.email); got != "active:admin" {
				t.Fatalf("after accepting by the mailed link listed as %q", got)
			}
			// A second use of the link is refused.
			res := srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, invitee.token)
			if res.Status < 400 || res.Status >= 500 {
				t.Fatalf("a reused link answered %d %s", res.Status, res.Body)
			}
		})
	}
}
