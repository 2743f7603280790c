//go:build tools

// This file pins modules that later packages use, so `go mod tidy` keeps them.
package bootstrap

import (
	_ "github.com/alexedwards/argon2id"
	_ "github.com/alicebob/miniredis/v2"
	_ "github.com/emersion/go-smtp"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/wneessen/go-mail"
	_ "golang.org/x/crypto/bcrypt"
)
