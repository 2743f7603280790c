package sessionsport

import "context"

// Transport names how a request carried its session token. Audit records
// of sign-in and sign-out say which one it was.
type Transport string

// The transports.
const (
	// TransportBearer is the Authorization header.
	TransportBearer Transport = "bearer"
	// TransportCookie is the browser's session cookie (the sign-in pages,
	// and API calls made by a page of Authy's own origin).
	TransportCookie Transport = "cookie"
)

type transportKey struct{}

// WithTransport returns ctx marked as carried by t (the inbound adapter
// sets it).
func WithTransport(ctx context.Context, t Transport) context.Context {
	return context.WithValue(ctx, transportKey{}, t)
}

// TransportFrom returns the transport ctx was marked with, or "" when none
// was.
func TransportFrom(ctx context.Context) Transport {
	t, _ := ctx.Value(transportKey{}).(Transport)
	return t
}
