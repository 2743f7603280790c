package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

func TestFlowBinding_MakesOneValueKeepsAWellFormedOneAndIsSameSiteNoneOnlyForCrossSitePostsOnHTTPS(t *testing.T) {
	kept := strings.Repeat("A", 43)
	for _, c := range []struct {
		name      string
		secure    bool
		crossSite bool
		cookie    string
		sameSite  http.SameSite
	}{
		{"http", false, false, "authy_test", http.SameSiteLaxMode},
		{"http, cross-site post", false, true, "authy_test", http.SameSiteLaxMode},
		{"https", true, false, "__Host-authy_test", http.SameSiteLaxMode},
		{"https, cross-site post", true, true, "__Host-authy_test", http.SameSiteNoneMode},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := httpapi.NewBrowser(httpapi.BrowserOptions{Signer: testSigner{}, Secure: c.secure})
			if err != nil {
				t.Fatal(err)
			}
			f := httpapi.FlowBinding{Name: "authy_test", Lifetime: 11 * time.Minute, CrossSitePost: c.crossSite}
			app := fiber.New()
			app.Get("/", func(ctx *fiber.Ctx) error {
				v, err := f.Bind(ctx, b)
				if err != nil {
					return err
				}
				return ctx.SendString(v + " " + f.Presented(ctx, b))
			})
			for _, sent := range []string{"", kept, "short", strings.Repeat("*", 43)} {
				req := httptest.NewRequest("GET", "/", nil)
				if sent != "" {
					req.AddCookie(&http.Cookie{Name: c.cookie, Value: sent})
				}
				res, err := app.Test(req)
				if err != nil {
					t.Fatal(err)
				}
				var set *http.Cookie
				for _, k := range res.Cookies() {
					if k.Name == c.cookie {
						set = k
					}
				}
				if set == nil || len(set.Value) != 43 || !set.HttpOnly || set.Path != "/" || set.Secure != c.secure || set.SameSite != c.sameSite {
					t.Fatalf("sent %q: cookie %+v", sent, set)
				}
				if (sent == kept) != (set.Value == kept) {
					t.Fatalf("sent %q, bound %q", sent, set.Value)
				}
				if time.Until(set.Expires) < 10*time.Minute {
					t.Fatalf("expires %s", set.Expires)
				}
			}
		})
	}
}
