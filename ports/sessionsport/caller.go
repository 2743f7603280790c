package sessionsport

import "context"

type callerKey struct{}

// WithCaller returns ctx carrying p, the principal whose session token the
// request presented (the inbound adapter sets it once the token is
// authenticated). A policy of another context that depends on how the
// caller signed in, not only on who they are, reads it: the organization
// multi-factor policy accepts a session started through the
// organization's own connection whose identity provider enforces MFA.
func WithCaller(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, callerKey{}, p)
}

// CallerFrom returns the principal ctx carries, and false when it carries
// none (a job, a machine credential, an unauthenticated request).
func CallerFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(callerKey{}).(Principal)
	return p, ok
}
