package shared

import "context"

// RequestMeta describes who is calling, as the inbound adapter saw it. It
// travels in the context so that audit records and rate limits agree on the
// client IP without every port taking it as a parameter.
//
// RequestID is the server's own id of the request, unique per request.
// CorrelationID is the id the client sent for it ("" when none): clients
// and proxies use it to find their requests, but any number of requests may
// share it, so nothing may treat it as identifying one request.
type RequestMeta struct {
	RequestID     string
	CorrelationID string
	ClientIP      string
	UserAgent     string
}

type requestMetaKey struct{}

// WithRequestMeta returns a context carrying m.
func WithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, requestMetaKey{}, m)
}

// RequestMetaFrom returns the metadata in ctx, or the zero value.
func RequestMetaFrom(ctx context.Context) RequestMeta {
	m, _ := ctx.Value(requestMetaKey{}).(RequestMeta)
	return m
}
