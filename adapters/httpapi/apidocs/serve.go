package apidocs

import (
	_ "embed"
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
	swaggerfiles "github.com/swaggo/files/v2"
)

//go:embed page.html
var pageHTML []byte

//go:embed page.js
var pageJS []byte

// The docs page loads only its own embedded scripts and styles; the CSP
// says so (Swagger UI sets inline styles, hence 'unsafe-inline' for styles).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// Register serves GET /api/openapi.json (the merged document, as Merge
// returns it, which openAPI returns when asked), GET /api/docs and its
// assets.
func Register(app fiber.Router, openAPI func() ([]byte, error)) {
	app.Get("/api/openapi.json", func(c *fiber.Ctx) error {
		doc, err := openAPI()
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(doc)
	})
	app.Get("/api/docs", func(c *fiber.Ctx) error {
		c.Set("Content-Security-Policy", pageCSP)
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(pageHTML)
	})
	app.Get("/api/docs/:asset", func(c *fiber.Ctx) error {
		name := c.Params("asset")
		var body []byte
		if name == "page.js" {
			body = pageJS
		} else {
			switch name {
			case "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
				"favicon-32x32.png", "favicon-16x16.png":
			default:
				return fiber.ErrNotFound
			}
			b, err := fs.ReadFile(swaggerfiles.FS, name)
			if err != nil {
				return fiber.ErrNotFound
			}
			body = b
		}
		c.Set("Content-Security-Policy", pageCSP)
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
		return c.Send(body)
	})
}
