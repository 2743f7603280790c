package shared

import "context"

// RequestMeta describes who is calling, as the inbound adapter saw it. It
// travels in the context so that audit records and rate limits agree on the
// client IP without every port taking it as a parameter.
type RequestMeta struct {
	RequestID string
	ClientIP  string
	UserAgent string
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
