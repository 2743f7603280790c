package identityporttest

import (
	"context"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
)

// Directory is an in-memory fake of identityport.Directory for other
// contexts' tests: users exist once Add has been called.
type Directory struct {
	mu    sync.Mutex
	users map[shared.UserID]identityport.UserSummary
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{users: map[shared.UserID]identityport.UserSummary{}}
}

// Add registers a user with a new id and a verified email, and returns it.
func (d *Directory) Add(email, name string) identityport.UserSummary {
	return d.Put(identityport.UserSummary{ID: shared.UserID(uuid.New()), Email: email, Name: name, EmailVerified: true})
}

// AddUnverified registers a user whose email is not verified.
func (d *Directory) AddUnverified(email, name string) identityport.UserSummary {
	return d.Put(identityport.UserSummary{ID: shared.UserID(uuid.New()), Email: email, Name: name})
}

// Put registers u as given.
func (d *Directory) Put(u identityport.UserSummary) identityport.UserSummary {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users[u.ID] = u
	return u
}

// FindByEmail implements identityport.Directory (trimmed, case-insensitive).
func (d *Directory) FindByEmail(_ context.Context, email string) (identityport.UserSummary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range d.users {
		if strings.EqualFold(u.Email, strings.TrimSpace(email)) {
			return u, nil
		}
	}
	return identityport.UserSummary{}, shared.NotFound("identity.user_not_found", "no such user")
}

// GetMany implements identityport.Directory.
func (d *Directory) GetMany(_ context.Context, ids []shared.UserID) (map[shared.UserID]identityport.UserSummary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[shared.UserID]identityport.UserSummary{}
	for _, id := range ids {
		if u, ok := d.users[id]; ok {
			out[id] = u
		}
	}
	return out, nil
}
