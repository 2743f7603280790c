package identityporttest

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

// TokenFactory returns a fresh store: its user repository (every token
// belongs to a stored user), its token repository and its unit of work.
type TokenFactory func(t *testing.T) (identityport.UserRepository, identityport.TokenRepository, platformport.UnitOfWork)

// RunTokenRepository runs the token repository's contract against stores
// made by newStore.
func RunTokenRepository(t *testing.T, newStore TokenFactory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*testing.T, TokenFactory)
	}{
		{"UnknownHashIsInvalid", testTokenUnknown},
		{"AddedTokenIsSavedAsUsedOnce", testTokenUseOnce},
		{"ASecondTokenWithTheSameHashIsRefused", testTokenDuplicate},
		{"ClosureErrorLeavesTheTokenUnchanged", testTokenRollback},
		{"RetireMarksOnlyTheUnusedTokensOfTheUserAndPurposes", testTokenRetire},
		{"UnitOfWorkRollsBackATokenWithTheUser", testTokenUnitOfWork},
		{"ConcurrentUsesOfOneTokenExactlyOneSeesItUnused", testTokenConcurrentUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore) })
	}
}

func randomHash(t *testing.T) identity.TokenHash {
	t.Helper()
	b := make([]byte, identity.TokenHashSize)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h, err := identity.NewTokenHash(b)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newToken(t *testing.T, u *identity.User, purpose identity.TokenPurpose, to identity.Email, session uuid.UUID) *identity.Token {
	t.Helper()
	tk, err := identity.NewToken(uuid.New(), u.ID(), purpose, randomHash(t), to, session, t0)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func storedUser(t *testing.T, users identityport.UserRepository) *identity.User {
	t.Helper()
	u := newUser(t, unique("tok"), "Token Owner")
	add(t, users, u)
	return u
}

func addToken(t *testing.T, tokens identityport.TokenRepository, tk *identity.Token) {
	t.Helper()
	if err := tokens.Add(context.Background(), tk); err != nil {
		t.Fatalf("Add token: %v", err)
	}
}

// peek reads a token through Find and through Use without spending it;
// both must see the same stored state.
func peek(t *testing.T, tokens identityport.TokenRepository, h identity.TokenHash) *identity.Token {
	t.Helper()
	var seen *identity.Token
	if _, err := tokens.Use(context.Background(), h, func(tk *identity.Token) error {
		seen = identity.RehydrateToken(tk.State())
		return errStop
	}); !errors.Is(err, errStop) {
		t.Fatalf("peek: %v", err)
	}
	found, err := tokens.Find(context.Background(), h)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	sameToken(t, found, seen)
	return seen
}

func sameToken(t *testing.T, got, want *identity.Token) {
	t.Helper()
	g, w := got.State(), want.State()
	if g.ID != w.ID || g.User != w.User || g.Purpose != w.Purpose || string(g.Hash.Bytes()) != string(w.Hash.Bytes()) ||
		g.Email.String() != w.Email.String() || g.Session != w.Session || !g.CreatedAt.Equal(w.CreatedAt) ||
		!g.ExpiresAt.Equal(w.ExpiresAt) || !g.UsedAt.Equal(w.UsedAt) {
		t.Fatalf("stored token differs:\n got  %+v\n want %+v", g, w)
	}
}

func testTokenUnknown(t *testing.T, newStore TokenFactory) {
	_, tokens, _ := newStore(t)
	called := false
	_, err := tokens.Use(context.Background(), randomHash(t), func(*identity.Token) error { called = true; return nil })
	if !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("want ErrTokenInvalid, got %v", err)
	}
	if called {
		t.Fatal("Use ran the closure for an unknown token")
	}
	if _, err := tokens.Find(context.Background(), randomHash(t)); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("Find: want ErrTokenInvalid, got %v", err)
	}
}

func testTokenUseOnce(t *testing.T, newStore TokenFactory) {
	users, tokens, _ := newStore(t)
	ctx := context.Background()
	u := storedUser(t, users)
	to := email(t, unique("new"))
	tk := newToken(t, u, identity.PurposeChangeEmail, to, uuid.New())
	addToken(t, tokens, tk)
	sameToken(t, peek(t, tokens, tk.Hash()), tk)

	at := t0.Add(time.Minute)
	saved, err := tokens.Use(ctx, tk.Hash(), func(x *identity.Token) error { return x.Use(identity.PurposeChangeEmail, at) })
	if err != nil {
		t.Fatal(err)
	}
	if !saved.UsedAt().Equal(at) {
		t.Fatal("Use must return the token as saved")
	}
	sameToken(t, peek(t, tokens, tk.Hash()), saved)
	_, err = tokens.Use(ctx, tk.Hash(), func(x *identity.Token) error { return x.Use(identity.PurposeChangeEmail, at) })
	if !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("a second use: want ErrTokenUsed, got %v", err)
	}
}

func testTokenDuplicate(t *testing.T, newStore TokenFactory) {
	users, tokens, _ := newStore(t)
	u := storedUser(t, users)
	tk := newToken(t, u, identity.PurposeVerifyEmail, u.Email(), uuid.Nil)
	addToken(t, tokens, tk)
	st := tk.State()
	st.ID = uuid.New()
	if err := tokens.Add(context.Background(), identity.RehydrateToken(st)); err == nil {
		t.Fatal("a second token with the same hash must be refused")
	}
	st = newToken(t, u, identity.PurposeVerifyEmail, u.Email(), uuid.Nil).State()
	st.ID = tk.ID()
	if err := tokens.Add(context.Background(), identity.RehydrateToken(st)); err == nil {
		t.Fatal("a second token with the same id must be refused")
	}
	sameToken(t, peek(t, tokens, tk.Hash()), tk)
}

func testTokenRollback(t *testing.T, newStore TokenFactory) {
	users, tokens, _ := newStore(t)
	u := storedUser(t, users)
	tk := newToken(t, u, identity.PurposeResetPassword, u.Email(), uuid.Nil)
	addToken(t, tokens, tk)
	_, err := tokens.Use(context.Background(), tk.Hash(), func(x *identity.Token) error {
		if err := x.Use(identity.PurposeResetPassword, t0.Add(time.Minute)); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("want the closure's error, got %v", err)
	}
	if peek(t, tokens, tk.Hash()).Used() {
		t.Fatal("a failed closure must leave the token unused")
	}
}

func testTokenRetire(t *testing.T, newStore TokenFactory) {
	users, tokens, _ := newStore(t)
	ctx := context.Background()
	u := storedUser(t, users)
	other := storedUser(t, users)
	verifyA := newToken(t, u, identity.PurposeVerifyEmail, u.Email(), uuid.Nil)
	verifyB := newToken(t, u, identity.PurposeVerifyEmail, u.Email(), uuid.Nil)
	reset := newToken(t, u, identity.PurposeResetPassword, u.Email(), uuid.Nil)
	change := newToken(t, u, identity.PurposeChangeEmail, email(t, unique("next")), uuid.Nil)
	othersVerify := newToken(t, other, identity.PurposeVerifyEmail, other.Email(), uuid.Nil)
	for _, tk := range []*identity.Token{verifyA, verifyB, reset, change, othersVerify} {
		addToken(t, tokens, tk)
	}
	usedAt := t0.Add(time.Minute)
	if _, err := tokens.Use(ctx, verifyA.Hash(), func(x *identity.Token) error { return x.Use(identity.PurposeVerifyEmail, usedAt) }); err != nil {
		t.Fatal(err)
	}
	retiredAt := t0.Add(time.Hour)
	n, err := tokens.Retire(ctx, u.ID(), retiredAt, identity.PurposeVerifyEmail, identity.PurposeChangeEmail)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("retired %d tokens, want 2 (the unused verification and the change)", n)
	}
	for _, c := range []struct {
		tk   *identity.Token
		used time.Time
	}{
		{verifyA, usedAt}, {verifyB, retiredAt}, {change, retiredAt}, {reset, time.Time{}}, {othersVerify, time.Time{}},
	} {
		if got := peek(t, tokens, c.tk.Hash()).UsedAt(); !got.Equal(c.used) {
			t.Errorf("token %s (%s): used at %v, want %v", c.tk.ID(), c.tk.Purpose(), got, c.used)
		}
	}
	if n, err := tokens.Retire(ctx, u.ID(), retiredAt); err != nil || n != 0 {
		t.Fatalf("Retire without purposes = %d, %v; want 0", n, err)
	}
}

func testTokenUnitOfWork(t *testing.T, newStore TokenFactory) {
	users, tokens, uow := newStore(t)
	ctx := context.Background()
	u := newUser(t, unique("tokuow"), "Rolled Back")
	tk := newToken(t, u, identity.PurposeVerifyEmail, u.Email(), uuid.Nil)
	err := uow.Transaction(ctx, func(ctx context.Context) error {
		if err := users.Add(ctx, u); err != nil {
			return err
		}
		if err := tokens.Add(ctx, tk); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("want the closure's error, got %v", err)
	}
	if _, err := tokens.Use(ctx, tk.Hash(), func(*identity.Token) error { return nil }); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("a token added in a rolled-back unit of work must not exist, got %v", err)
	}

	u2 := newUser(t, unique("tokuow2"), "Committed")
	tk2 := newToken(t, u2, identity.PurposeVerifyEmail, u2.Email(), uuid.Nil)
	if err := uow.Transaction(ctx, func(ctx context.Context) error {
		if err := users.Add(ctx, u2); err != nil {
			return err
		}
		return tokens.Add(ctx, tk2)
	}); err != nil {
		t.Fatal(err)
	}
	sameToken(t, peek(t, tokens, tk2.Hash()), tk2)
}

func testTokenConcurrentUse(t *testing.T, newStore TokenFactory) {
	users, tokens, _ := newStore(t)
	u := storedUser(t, users)
	tk := newToken(t, u, identity.PurposeResetPassword, u.Email(), uuid.Nil)
	addToken(t, tokens, tk)
	const n = 8
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := tokens.Use(context.Background(), tk.Hash(), func(x *identity.Token) error {
				return x.Use(identity.PurposeResetPassword, t0.Add(time.Minute))
			})
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, identity.ErrTokenUsed):
				used.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if wins.Load() != 1 || used.Load() != n-1 {
		t.Fatalf("wins=%d used=%d, want 1 and %d", wins.Load(), used.Load(), n-1)
	}
	if shared.KindOf(identity.ErrTokenUsed) != shared.KindBadRequest {
		t.Fatal("a used token must be a bad request")
	}
}
