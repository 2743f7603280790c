// Package httpapi is the inbound HTTP adapter's edge: the Fiber server, its
// middleware (request id, client IP, logging, panics, security headers,
// CORS, bearer authentication), the response envelope and the one table that
// turns typed errors into envelope errors.
//
// Route groups (groups.go) answer errors in their own format: the envelope
// for the API, HTML pages for the hosted pages (pageshttp brings the
// renderer), RFC 6749 JSON for the protocol endpoints. Beside the bearer
// header, sessions travel in the browser's session cookie (cookies.go),
// with a CSRF token on every state-changing cookie request (csrf.go).
//
// Context handlers live in httpapi/<ctx>http and use the helpers here; they
// return errors and never write error JSON themselves. This package imports
// ports, domain/shared and Fiber, never application/ or another adapter.
package httpapi
