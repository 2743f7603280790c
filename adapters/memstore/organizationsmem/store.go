// Package organizationsmem implements organizationsport's repository and
// unit of work in process memory, for fast tests and single-process use. It
// holds to the same contract suite as the SQL store: a unit of work works on
// a copy of the whole state and publishes it only when its closure
// succeeds, and one mutex serializes writers, which gives the same outcome
// as the row lock of the SQL store.
//
// It imports only ports, the domain, google/uuid and the standard library.
package organizationsmem

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// Store is an in-memory organizationsport.Repository and UnitOfWork.
type Store struct {
	mu sync.Mutex
	st *state
}

var (
	_ organizationsport.Repository = (*Store)(nil)
	_ organizationsport.UnitOfWork = (*Store)(nil)
)

type state struct {
	orgs map[shared.OrganizationID]*record
}

// record is one live organization as stored.
type record struct {
	id          shared.OrganizationID
	name        string
	slug        organizations.Slug
	createdAt   time.Time
	updatedAt   time.Time
	members     []organizations.Membership
	invitations []organizations.Invitation // pending, in (created_at, id) order
	closed      []organizations.Invitation // every other status, as history
}

type txKey struct{ s *Store }

// New returns an empty store.
func New() *Store { return &Store{st: &state{orgs: map[shared.OrganizationID]*record{}}} }

func (st *state) clone() *state {
	c := &state{orgs: make(map[shared.OrganizationID]*record, len(st.orgs))}
	for id, r := range st.orgs {
		cp := *r
		cp.members = append([]organizations.Membership(nil), r.members...)
		cp.invitations = append([]organizations.Invitation(nil), r.invitations...)
		cp.closed = append([]organizations.Invitation(nil), r.closed...)
		c.orgs[id] = &cp
	}
	return c
}

// Do implements organizationsport.UnitOfWork.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context, r organizationsport.TxRepos) error) error {
	if _, ok := ctx.Value(txKey{s}).(*state); ok {
		return fn(ctx, organizationsport.TxRepos{Organizations: s})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	work := s.st.clone()
	if err := fn(context.WithValue(ctx, txKey{s}, work), organizationsport.TxRepos{Organizations: s}); err != nil {
		return err
	}
	s.st = work
	return nil
}

// write runs fn on the state of ctx's unit of work, or under the lock on a
// copy that is published only when fn succeeds.
func (s *Store) write(ctx context.Context, fn func(st *state) error) error {
	if st, ok := ctx.Value(txKey{s}).(*state); ok {
		return fn(st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	work := s.st.clone()
	if err := fn(work); err != nil {
		return err
	}
	s.st = work
	return nil
}

func (s *Store) read(ctx context.Context, fn func(st *state)) {
	if st, ok := ctx.Value(txKey{s}).(*state); ok {
		fn(st)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.st)
}

func (st *state) slugTaken(slug organizations.Slug, except shared.OrganizationID) bool {
	for id, r := range st.orgs {
		if id != except && strings.EqualFold(r.slug.String(), slug.String()) {
			return true
		}
	}
	return false
}

// Create implements organizationsport.Repository.
func (s *Store) Create(ctx context.Context, org *organizations.Organization) error {
	return s.write(ctx, func(st *state) error {
		if st.slugTaken(org.Slug(), org.ID()) {
			return organizations.ErrSlugTaken
		}
		if _, ok := st.orgs[org.ID()]; ok {
			return shared.Conflict("organizations.duplicate_id", "organization id already used")
		}
		st.orgs[org.ID()] = toRecord(org, nil)
		return nil
	})
}

// Update implements organizationsport.Repository.
func (s *Store) Update(ctx context.Context, id shared.OrganizationID, fn func(*organizations.Organization) error) error {
	return s.write(ctx, func(st *state) error {
		r, ok := st.orgs[id]
		if !ok {
			return organizations.ErrNotFound
		}
		org := organizations.RehydrateOrganization(r.id, r.name, r.slug, r.createdAt, r.updatedAt, r.members, r.invitations)
		if err := fn(org); err != nil {
			return err
		}
		if org.Deleted() {
			delete(st.orgs, id)
			return nil
		}
		if st.slugTaken(org.Slug(), id) {
			return organizations.ErrSlugTaken
		}
		st.orgs[id] = toRecord(org, r.closed)
		return nil
	})
}

func toRecord(o *organizations.Organization, closed []organizations.Invitation) *record {
	return &record{
		id: o.ID(), name: o.Name(), slug: o.Slug(), createdAt: o.CreatedAt(), updatedAt: o.UpdatedAt(),
		members: o.Members(), invitations: o.Invitations(),
		closed: append(append([]organizations.Invitation(nil), closed...), o.ClosedInvitations()...),
	}
}

// Find implements organizationsport.Repository.
func (s *Store) Find(ctx context.Context, id shared.OrganizationID, viewer shared.UserID) (organizationsport.OrganizationSummary, error) {
	var (
		out organizationsport.OrganizationSummary
		ok  bool
	)
	s.read(ctx, func(st *state) {
		var r *record
		if r, ok = st.orgs[id]; ok {
			out = summary(r, viewer)
		}
	})
	if !ok {
		return organizationsport.OrganizationSummary{}, organizations.ErrNotFound
	}
	return out, nil
}

func summary(r *record, viewer shared.UserID) organizationsport.OrganizationSummary {
	sum := organizationsport.OrganizationSummary{ID: r.id, Name: r.name, Slug: r.slug, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
	for _, m := range r.members {
		if m.User() == viewer {
			sum.Role, sum.JoinedAt = m.Role(), m.JoinedAt()
		}
	}
	return sum
}

func after(at time.Time, id string, keyAt time.Time, keyID string) bool {
	return at.After(keyAt) || (at.Equal(keyAt) && id > keyID)
}

// ListMembers implements organizationsport.Repository.
func (s *Store) ListMembers(ctx context.Context, id shared.OrganizationID, key *organizationsport.MemberKey, limit int) ([]organizations.Membership, error) {
	var out []organizations.Membership
	s.read(ctx, func(st *state) {
		r, ok := st.orgs[id]
		if !ok {
			return
		}
		for _, m := range r.members { // stored in (joined_at, user) order
			if key != nil && !after(m.JoinedAt(), m.User().String(), key.JoinedAt, key.User.String()) {
				continue
			}
			if len(out) == limit {
				break
			}
			out = append(out, m)
		}
	})
	return out, nil
}

// ListInvitations implements organizationsport.Repository.
func (s *Store) ListInvitations(ctx context.Context, id shared.OrganizationID, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizations.Invitation, error) {
	var out []organizations.Invitation
	s.read(ctx, func(st *state) {
		r, ok := st.orgs[id]
		if !ok {
			return
		}
		for _, inv := range r.invitations { // stored in (created_at, id) order
			if !open(inv, now) || (key != nil && !after(inv.CreatedAt(), inv.ID().String(), key.CreatedAt, key.ID.String())) {
				continue
			}
			if len(out) == limit {
				break
			}
			out = append(out, inv)
		}
	})
	return out, nil
}

func open(inv organizations.Invitation, now time.Time) bool {
	return inv.Status() == organizations.StatusPending && inv.ExpiresAt().After(now)
}

// ListInvitationsFor implements organizationsport.Repository.
func (s *Store) ListInvitationsFor(ctx context.Context, email string, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizationsport.InvitationRecord, error) {
	var all []organizationsport.InvitationRecord
	s.read(ctx, func(st *state) {
		for _, r := range st.orgs {
			for _, inv := range r.invitations {
				if inv.Email() == email && open(inv, now) {
					all = append(all, organizationsport.InvitationRecord{Organization: r.id, OrganizationName: r.name, Invitation: inv})
				}
			}
		}
	})
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i].Invitation, all[j].Invitation
		return after(b.CreatedAt(), b.ID().String(), a.CreatedAt(), a.ID().String())
	})
	out := []organizationsport.InvitationRecord{}
	for _, rec := range all {
		inv := rec.Invitation
		if key != nil && !after(inv.CreatedAt(), inv.ID().String(), key.CreatedAt, key.ID.String()) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, rec)
	}
	return out, nil
}

// FindInvitation implements organizationsport.Repository.
func (s *Store) FindInvitation(ctx context.Context, id uuid.UUID) (organizationsport.InvitationRecord, error) {
	return s.findInvitation(ctx, func(inv organizations.Invitation) bool { return inv.ID() == id })
}

// FindInvitationByToken implements organizationsport.Repository.
func (s *Store) FindInvitationByToken(ctx context.Context, h organizations.TokenHash) (organizationsport.InvitationRecord, error) {
	if h.IsZero() {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	return s.findInvitation(ctx, func(inv organizations.Invitation) bool { return inv.TokenHash() == h })
}

func (s *Store) findInvitation(ctx context.Context, match func(organizations.Invitation) bool) (organizationsport.InvitationRecord, error) {
	var (
		out   organizationsport.InvitationRecord
		found bool
	)
	s.read(ctx, func(st *state) {
		for _, r := range st.orgs {
			for _, list := range [][]organizations.Invitation{r.invitations, r.closed} {
				for _, inv := range list {
					if !found && match(inv) {
						out, found = organizationsport.InvitationRecord{Organization: r.id, OrganizationName: r.name, Invitation: inv}, true
					}
				}
			}
		}
	})
	if !found {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	return out, nil
}

// ListForUser implements organizationsport.Repository.
func (s *Store) ListForUser(ctx context.Context, user shared.UserID, key *organizationsport.MembershipKey, limit int) ([]organizationsport.OrganizationSummary, error) {
	var all []organizationsport.OrganizationSummary
	s.read(ctx, func(st *state) {
		for _, r := range st.orgs {
			if sum := summary(r, user); !sum.Role.IsZero() {
				all = append(all, sum)
			}
		}
	})
	sort.Slice(all, func(i, j int) bool {
		if !all[i].JoinedAt.Equal(all[j].JoinedAt) {
			return all[i].JoinedAt.Before(all[j].JoinedAt)
		}
		return all[i].ID.String() < all[j].ID.String()
	})
	out := []organizationsport.OrganizationSummary{}
	for _, sum := range all {
		if key != nil && !after(sum.JoinedAt, sum.ID.String(), key.JoinedAt, key.Organization.String()) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, sum)
	}
	return out, nil
}

// OrganizationsOf implements organizationsport.Repository.
func (s *Store) OrganizationsOf(ctx context.Context, user shared.UserID) ([]shared.OrganizationID, error) {
	var out []shared.OrganizationID
	s.read(ctx, func(st *state) {
		for id, r := range st.orgs {
			if !summary(r, user).Role.IsZero() {
				out = append(out, id)
			}
		}
	})
	sortIDs(out)
	return out, nil
}

func sortIDs(ids []shared.OrganizationID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
}
