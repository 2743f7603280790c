// Package bootstrap is the only package that names concrete adapters: it
// reads configuration, opens connections, builds outbound adapters,
// application services and the HTTP server, and exposes the command line.
// Build order: config → connections → outbound adapters → services → HTTP.
package bootstrap
