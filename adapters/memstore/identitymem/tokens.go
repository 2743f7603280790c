package identitymem

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// tokenRepo is the Store's TokenRepository: tokens live beside the users,
// under the same lock and in the same snapshots.
type tokenRepo struct{ s *Store }

var _ identityport.TokenRepository = tokenRepo{}

// Add implements identityport.TokenRepository.
func (r tokenRepo) Add(ctx context.Context, t *identity.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer r.s.lock(ctx)()
	key := string(t.Hash().Bytes())
	if _, ok := r.s.tokens[key]; ok {
		return identity.ErrTokenExists
	}
	for _, st := range r.s.tokens {
		if st.ID == t.ID() {
			return identity.ErrTokenExists
		}
	}
	if u, ok := r.s.users[t.User()]; !ok || !u.DeletedAt.IsZero() {
		return identity.ErrUserNotFound
	}
	r.s.tokens[key] = t.State()
	return nil
}

// Find implements identityport.TokenRepository.
func (r tokenRepo) Find(ctx context.Context, h identity.TokenHash) (*identity.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer r.s.lock(ctx)()
	st, ok := r.s.tokens[string(h.Bytes())]
	if !ok || h.IsZero() {
		return nil, identity.ErrTokenInvalid
	}
	return identity.RehydrateToken(st), nil
}

// Use implements identityport.TokenRepository.
func (r tokenRepo) Use(ctx context.Context, h identity.TokenHash, fn func(t *identity.Token) error) (*identity.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer r.s.lock(ctx)()
	key := string(h.Bytes())
	st, ok := r.s.tokens[key]
	if !ok || h.IsZero() {
		return nil, identity.ErrTokenInvalid
	}
	t := identity.RehydrateToken(st)
	if err := fn(t); err != nil {
		return nil, err
	}
	after := t.State()
	if after.ID != st.ID || string(after.Hash.Bytes()) != key {
		return nil, identity.ErrTokenInvalid.WithMessage("the closure changed the token's identity")
	}
	r.s.tokens[key] = after
	return t, nil
}

// Retire implements identityport.TokenRepository.
func (r tokenRepo) Retire(ctx context.Context, user shared.UserID, now time.Time, purposes ...identity.TokenPurpose) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	defer r.s.lock(ctx)()
	n := 0
	for key, st := range r.s.tokens {
		if st.User != user || !st.UsedAt.IsZero() || !hasPurpose(purposes, st.Purpose) {
			continue
		}
		st.UsedAt = now.UTC()
		r.s.tokens[key] = st
		n++
	}
	return n, nil
}

func hasPurpose(ps []identity.TokenPurpose, p identity.TokenPurpose) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}
