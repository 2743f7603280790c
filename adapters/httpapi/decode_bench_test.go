package httpapi_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secuird/authy/adapters/httpapi"
)

type benchLogin struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// BenchmarkDecode measures Decode on typical bodies and reports its cost as
// a ratio to a plain strict encoding/json decode of the same body measured
// in the same run (x-plain-json).
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		body string
		dst  func() any
	}{
		{"login", `{"email":"someone@example.com","password":"correct horse battery staple"}`, func() any { return &benchLogin{} }},
		{"nested", `{"name":"Ünïcødé \ud83d\ude00 name","count":42,"tags":["a","b","c","d"],"opt":null,` +
			`"meta":{"k1":"v1","k2":"v2","k3":"v3","k4":"v4","k5":"v5","k6":"v6","k7":"v7","k8":"v8","k9":"v9"}}`,
			func() any { return &fuzzPayload{} }},
	}
	app := fiber.New()
	for _, tc := range cases {
		body := []byte(tc.body)
		b.Run(tc.name, func(b *testing.B) {
			// The baseline runs the same b.N first, timed by hand:
			// testing.Benchmark cannot be called from a benchmark.
			start := time.Now()
			for i := 0; i < b.N; i++ {
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.DisallowUnknownFields()
				if err := dec.Decode(tc.dst()); err != nil {
					b.Fatal(err)
				}
			}
			plain := time.Since(start)
			c := app.AcquireCtx(&fasthttp.RequestCtx{})
			defer app.ReleaseCtx(c)
			c.Request().Header.SetContentType("application/json")
			c.Request().SetBody(body)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := httpapi.Decode(c, tc.dst()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed())/float64(max(plain, 1)), "x-plain-json")
		})
	}
}
