// Package identitymem implements identityport's user and token repositories
// and unit of work in process memory: the store of fast tests, held to the
// same contract suites (identityporttest) as the GORM adapter, and the
// in-process profile cache of the single embedded instance.
//
// A unit of work takes the store's single lock for its whole duration (like
// SQLite's one writer) and restores a snapshot when its closure fails, so
// rollbacks are real. It imports only ports, the identity domain and the
// standard library.
package identitymem

import (
	"context"
	"sync"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// record is the stored state of one user: values only, so no caller can
// change the store through an aggregate it holds.
type record struct{ identity.UserState }

func toRecord(u *identity.User) record { return record{u.State()} }

func (r record) user() *identity.User { return identity.RehydrateUser(r.UserState) }

// Store holds users and their tokens; it is the UserRepository and the
// UnitOfWork, and Tokens returns its TokenRepository.
type Store struct {
	mu     sync.Mutex
	users  map[shared.UserID]record
	tokens map[string]identity.TokenState // by hash
}

var (
	_ identityport.UserRepository = (*Store)(nil)
	_ identityport.UnitOfWork     = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{users: map[shared.UserID]record{}, tokens: map[string]identity.TokenState{}}
}

// Tokens returns the store's token repository, which shares its lock and
// its units of work.
func (s *Store) Tokens() identityport.TokenRepository { return tokenRepo{s} }

type txKey struct{ s *Store }

func (s *Store) inTx(ctx context.Context) bool {
	v, _ := ctx.Value(txKey{s}).(bool)
	return v
}

// lock takes the store's lock unless ctx carries this store's unit of work,
// which already holds it.
func (s *Store) lock(ctx context.Context) func() {
	if s.inTx(ctx) {
		return func() {}
	}
	s.mu.Lock()
	return s.mu.Unlock
}

// Do implements identityport.UnitOfWork.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context, r identityport.TxRepos) error) error {
	repos := identityport.TxRepos{Users: s, Tokens: tokenRepo{s}}
	if s.inTx(ctx) {
		return fn(ctx, repos)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	users, tokens := s.snapshot()
	if err := fn(context.WithValue(ctx, txKey{s}, true), repos); err != nil {
		s.users, s.tokens = users, tokens
		return err
	}
	return nil
}

func (s *Store) snapshot() (map[shared.UserID]record, map[string]identity.TokenState) {
	users := make(map[shared.UserID]record, len(s.users))
	for k, v := range s.users {
		users[k] = v
	}
	tokens := make(map[string]identity.TokenState, len(s.tokens))
	for k, v := range s.tokens {
		tokens[k] = v
	}
	return users, tokens
}

func (s *Store) emailTaken(email identity.Email, except shared.UserID) bool {
	for _, r := range s.users {
		if r.DeletedAt.IsZero() && r.ID != except && r.Email.Equal(email) {
			return true
		}
	}
	return false
}

// Add implements identityport.UserRepository.
func (s *Store) Add(ctx context.Context, u *identity.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.lock(ctx)()
	if _, ok := s.users[u.ID()]; ok {
		return identity.ErrEmailTaken.WithMessage("an account with this id already exists")
	}
	if !u.Deleted() && s.emailTaken(u.Email(), u.ID()) {
		return identity.ErrEmailTaken
	}
	s.users[u.ID()] = toRecord(u)
	return nil
}

// Get implements identityport.UserRepository.
func (s *Store) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer s.lock(ctx)()
	r, ok := s.users[id]
	if !ok || !r.DeletedAt.IsZero() {
		return nil, identity.ErrUserNotFound
	}
	return r.user(), nil
}

// Profile implements identityport.UserRepository.
func (s *Store) Profile(ctx context.Context, id shared.UserID) (identityport.UserView, error) {
	u, err := s.Get(ctx, id)
	if err != nil {
		return identityport.UserView{}, err
	}
	return identityport.UserView{
		ID: u.ID(), Email: u.Email().String(), EmailVerified: u.EmailVerified(), EmailVerifiedAt: u.EmailVerifiedAt(),
		Name: u.Name().String(), CreatedAt: u.CreatedAt(), UpdatedAt: u.UpdatedAt(),
	}, nil
}

// FindByEmail implements identityport.UserRepository.
func (s *Store) FindByEmail(ctx context.Context, email identity.Email) (*identity.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer s.lock(ctx)()
	for _, r := range s.users {
		if r.DeletedAt.IsZero() && r.Email.Equal(email) {
			return r.user(), nil
		}
	}
	return nil, identity.ErrUserNotFound
}

// GetMany implements identityport.UserRepository.
func (s *Store) GetMany(ctx context.Context, ids []shared.UserID) ([]*identity.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer s.lock(ctx)()
	out := make([]*identity.User, 0, len(ids))
	seen := map[shared.UserID]bool{}
	for _, id := range ids {
		if r, ok := s.users[id]; ok && r.DeletedAt.IsZero() && !seen[id] {
			seen[id] = true
			out = append(out, r.user())
		}
	}
	return out, nil
}

// Update implements identityport.UserRepository.
func (s *Store) Update(ctx context.Context, id shared.UserID, fn func(u *identity.User) error) (*identity.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer s.lock(ctx)()
	r, ok := s.users[id]
	if !ok || !r.DeletedAt.IsZero() {
		return nil, identity.ErrUserNotFound
	}
	u := r.user()
	if err := fn(u); err != nil {
		return nil, err
	}
	if u.ID() != id {
		return nil, identity.ErrUserNotFound
	}
	if !u.Deleted() && s.emailTaken(u.Email(), id) {
		return nil, identity.ErrEmailTaken
	}
	s.users[id] = toRecord(u)
	return u, nil
}
