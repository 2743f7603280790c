// Package httpapi is the inbound HTTP adapter's edge: the Fiber server, its
// middleware (request id, client IP, logging, panics, security headers,
// CORS, bearer authentication), the response envelope and the one table that
// turns typed errors into envelope errors.
//
// Context handlers live in httpapi/<ctx>http and use the helpers here; they
// return errors and never write error JSON themselves. This package imports
// ports, domain/shared and Fiber, never application/ or another adapter.
package httpapi
