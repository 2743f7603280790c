// Package organizationsmem implements organizationsport's repository and
// unit of work in process memory, for fast tests and single-process use. It
// holds to the same contract suite as the SQL store. One mutex serializes
// writers for the whole unit of work, which gives the same outcome as the
// row lock of the SQL store; changes are made in place and journalled, and
// a unit of work whose closure fails undoes them in reverse order, so a
// change touches only the memberships and invitations it names however
// large the organization is.
//
// It imports only ports, the domain, google/uuid and the standard library.
package organizationsmem

import (
	"context"
	"errors"
	"fmt"
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
	mu   sync.Mutex
	orgs map[shared.OrganizationID]*record
	// byID and byToken find an invitation's organization, in any status.
	byID    map[uuid.UUID]shared.OrganizationID
	byToken map[organizations.TokenHash]uuid.UUID
}

var (
	_ organizationsport.Repository = (*Store)(nil)
	_ organizationsport.UnitOfWork = (*Store)(nil)
)

// record is one live organization as stored.
type record struct {
	id        shared.OrganizationID
	name      string
	slug      organizations.Slug
	createdAt time.Time
	updatedAt time.Time
	owners    int
	members   map[shared.UserID]organizations.Membership
	// order holds the memberships in (joined_at, user) order, for pages.
	order       []organizations.Membership
	invitations map[uuid.UUID]organizations.Invitation // every status
	pending     map[string]uuid.UUID                   // normalized email → pending invitation
}

// journal lists what undoes a unit of work's changes, newest last.
type journal struct{ undo []func() }

func (j *journal) rollback() {
	for i := len(j.undo) - 1; i >= 0; i-- {
		j.undo[i]()
	}
	j.undo = nil
}

type txKey struct{ s *Store }

// New returns an empty store.
func New() *Store {
	return &Store{
		orgs:    map[shared.OrganizationID]*record{},
		byID:    map[uuid.UUID]shared.OrganizationID{},
		byToken: map[organizations.TokenHash]uuid.UUID{},
	}
}

// Do implements organizationsport.UnitOfWork.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context, r organizationsport.TxRepos) error) error {
	if _, ok := ctx.Value(txKey{s}).(*journal); ok {
		return fn(ctx, organizationsport.TxRepos{Organizations: s})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &journal{}
	if err := fn(context.WithValue(ctx, txKey{s}, j), organizationsport.TxRepos{Organizations: s}); err != nil {
		j.rollback()
		return err
	}
	return nil
}

// write runs fn in ctx's unit of work, or under the lock in one of its own
// that is undone when fn fails.
func (s *Store) write(ctx context.Context, fn func(j *journal) error) error {
	if j, ok := ctx.Value(txKey{s}).(*journal); ok {
		return fn(j)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &journal{}
	if err := fn(j); err != nil {
		j.rollback()
		return err
	}
	return nil
}

func (s *Store) read(ctx context.Context, fn func()) {
	if _, ok := ctx.Value(txKey{s}).(*journal); ok {
		fn()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

func (s *Store) slugTaken(slug organizations.Slug, except shared.OrganizationID) bool {
	for id, r := range s.orgs {
		if id != except && strings.EqualFold(r.slug.String(), slug.String()) {
			return true
		}
	}
	return false
}

// Create implements organizationsport.Repository.
func (s *Store) Create(ctx context.Context, org *organizations.Organization) error {
	return s.write(ctx, func(j *journal) error {
		if s.slugTaken(org.Slug(), org.ID()) {
			return organizations.ErrSlugTaken
		}
		if _, ok := s.orgs[org.ID()]; ok {
			return shared.Conflict("organizations.duplicate_id", "organization id already used")
		}
		r := &record{
			id: org.ID(), name: org.Name(), slug: org.Slug(), createdAt: org.CreatedAt(), updatedAt: org.UpdatedAt(),
			members: map[shared.UserID]organizations.Membership{}, invitations: map[uuid.UUID]organizations.Invitation{},
			pending: map[string]uuid.UUID{},
		}
		s.orgs[r.id] = r
		j.undo = append(j.undo, func() { delete(s.orgs, r.id) })
		for _, m := range org.Members() {
			s.setMember(j, r, m.User(), m, true)
		}
		for _, inv := range org.Invitations() {
			if err := s.addInvitation(j, r, inv); err != nil {
				return err
			}
		}
		return nil
	})
}

// Update implements organizationsport.Repository.
func (s *Store) Update(ctx context.Context, id shared.OrganizationID, scope organizationsport.Scope, fn func(*organizations.Organization) error) error {
	return s.write(ctx, func(j *journal) error {
		r, ok := s.orgs[id]
		if !ok {
			return organizations.ErrNotFound
		}
		st := r.load(scope)
		before := map[shared.UserID]organizations.Membership{}
		for _, m := range st.Memberships {
			before[m.User()] = m
		}
		loaded := map[uuid.UUID]bool{}
		for _, inv := range st.Invitations {
			loaded[inv.ID()] = true
		}
		org := organizations.RehydrateOrganizationPart(st)
		if err := fn(org); err != nil {
			return err
		}
		if org.Deleted() {
			delete(s.orgs, id)
			j.undo = append(j.undo, func() { s.orgs[id] = r })
			return nil
		}
		if org.Slug() != r.slug && s.slugTaken(org.Slug(), id) {
			return organizations.ErrSlugTaken
		}
		if org.Name() != r.name || org.Slug() != r.slug || !org.UpdatedAt().Equal(r.updatedAt) {
			name, slug, updated := r.name, r.slug, r.updatedAt
			r.name, r.slug, r.updatedAt = org.Name(), org.Slug(), org.UpdatedAt()
			j.undo = append(j.undo, func() { r.name, r.slug, r.updatedAt = name, slug, updated })
		}
		for _, m := range org.Members() {
			old, had := before[m.User()]
			delete(before, m.User())
			switch {
			case !had:
				if _, taken := r.members[m.User()]; taken {
					return organizations.ErrAlreadyMember
				}
				s.setMember(j, r, m.User(), m, true)
			case old.Role() != m.Role():
				if err := r.stillMember(m.User()); err != nil {
					return err
				}
				s.setMember(j, r, m.User(), m, true)
			}
		}
		for u := range before {
			if err := r.stillMember(u); err != nil {
				return err
			}
			s.setMember(j, r, u, organizations.Membership{}, false)
		}
		for _, inv := range org.ClosedInvitations() {
			if cur, ok := r.invitations[inv.ID()]; !ok || cur.Status() != organizations.StatusPending {
				return fmt.Errorf("close invitation %s: it is no longer pending", inv.ID())
			}
			s.setInvitation(j, r, inv)
		}
		for _, inv := range org.Invitations() {
			if !loaded[inv.ID()] {
				if err := s.addInvitation(j, r, inv); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// load reads the part of r that scope names, as a store loads it.
func (r *record) load(scope organizationsport.Scope) organizations.OrganizationState {
	st := organizations.OrganizationState{
		ID: r.id, Name: r.name, Slug: r.slug, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt,
		Owners: r.owners, Members: len(r.members), LoadedEmails: scope.Emails, LoadedInvitations: scope.Invitations,
	}
	seen := map[uuid.UUID]bool{}
	add := func(id uuid.UUID) {
		if inv, ok := r.invitations[id]; ok && !seen[id] && inv.Status() == organizations.StatusPending {
			seen[id] = true
			st.Invitations = append(st.Invitations, inv)
		}
	}
	for _, id := range scope.Invitations {
		add(id)
	}
	for _, e := range scope.Emails {
		if id, ok := r.pending[e]; ok {
			add(id)
		}
	}
	if !scope.DueBy.IsZero() && scope.DueLimit > 0 {
		var due []organizations.Invitation
		for _, id := range r.pending {
			if inv := r.invitations[id]; !inv.ExpiresAt().After(scope.DueBy) {
				due = append(due, inv)
			}
		}
		sort.Slice(due, func(i, j int) bool {
			return after(due[j].ExpiresAt(), due[j].ID().String(), due[i].ExpiresAt(), due[i].ID().String())
		})
		for _, inv := range due[:min(len(due), scope.DueLimit)] {
			add(inv.ID())
		}
	}
	users := append([]shared.UserID(nil), scope.Users...)
	for _, inv := range st.Invitations {
		users = append(users, inv.InvitedBy())
	}
	for _, u := range users {
		if u.IsZero() {
			continue
		}
		st.LoadedUsers = append(st.LoadedUsers, u)
		if m, ok := r.members[u]; ok {
			st.Memberships = append(st.Memberships, m)
		}
	}
	return st
}

// stillMember checks that a loaded membership is still stored, as the SQL
// store checks the rows it changes: under the lock it always is.
func (r *record) stillMember(u shared.UserID) error {
	if _, ok := r.members[u]; !ok {
		return fmt.Errorf("change membership of %s: it went behind the lock's back", u)
	}
	return nil
}

// setMember puts (present) or removes user's membership, keeping the order
// and the owner count, and journals the undo.
func (s *Store) setMember(j *journal, r *record, user shared.UserID, m organizations.Membership, present bool) {
	old, had := r.members[user]
	r.putMember(user, m, present)
	j.undo = append(j.undo, func() { r.putMember(user, old, had) })
}

func (r *record) putMember(user shared.UserID, m organizations.Membership, present bool) {
	if old, ok := r.members[user]; ok {
		if old.Role() == organizations.RoleOwner {
			r.owners--
		}
		delete(r.members, user)
		i := r.position(old)
		r.order = append(r.order[:i], r.order[i+1:]...)
	}
	if !present {
		return
	}
	if m.Role() == organizations.RoleOwner {
		r.owners++
	}
	r.members[user] = m
	i := r.position(m)
	r.order = append(r.order, organizations.Membership{})
	copy(r.order[i+1:], r.order[i:])
	r.order[i] = m
}

// position is where m is or belongs in order.
func (r *record) position(m organizations.Membership) int {
	return sort.Search(len(r.order), func(i int) bool {
		o := r.order[i]
		return !after(m.JoinedAt(), m.User().String(), o.JoinedAt(), o.User().String())
	})
}

// addInvitation stores a new invitation, refusing a second pending one for
// its address.
func (s *Store) addInvitation(j *journal, r *record, inv organizations.Invitation) error {
	if _, ok := r.pending[inv.Email()]; ok && inv.Status() == organizations.StatusPending {
		return organizations.ErrAlreadyInvited
	}
	if _, ok := s.byID[inv.ID()]; ok {
		return shared.Conflict("organizations.duplicate_invitation", "invitation id already used")
	}
	if _, ok := s.byToken[inv.TokenHash()]; ok && !inv.TokenHash().IsZero() {
		return shared.Conflict("organizations.duplicate_invitation", "invitation token already used")
	}
	s.byID[inv.ID()] = r.id
	if !inv.TokenHash().IsZero() {
		s.byToken[inv.TokenHash()] = inv.ID()
	}
	j.undo = append(j.undo, func() {
		delete(s.byID, inv.ID())
		delete(s.byToken, inv.TokenHash())
	})
	s.setInvitation(j, r, inv)
	return nil
}

// setInvitation stores inv's current state and journals the undo.
func (s *Store) setInvitation(j *journal, r *record, inv organizations.Invitation) {
	old, had := r.invitations[inv.ID()]
	r.putInvitation(inv.ID(), inv, true)
	j.undo = append(j.undo, func() { r.putInvitation(inv.ID(), old, had) })
}

func (r *record) putInvitation(id uuid.UUID, inv organizations.Invitation, present bool) {
	if old, ok := r.invitations[id]; ok && r.pending[old.Email()] == id {
		delete(r.pending, old.Email())
	}
	delete(r.invitations, id)
	if !present {
		return
	}
	r.invitations[id] = inv
	if inv.Status() == organizations.StatusPending {
		r.pending[inv.Email()] = id
	}
}

// Find implements organizationsport.Repository.
func (s *Store) Find(ctx context.Context, id shared.OrganizationID, viewer shared.UserID) (organizationsport.OrganizationSummary, error) {
	var (
		out organizationsport.OrganizationSummary
		ok  bool
	)
	s.read(ctx, func() {
		var r *record
		if r, ok = s.orgs[id]; ok {
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
	if m, ok := r.members[viewer]; ok {
		sum.Role, sum.JoinedAt = m.Role(), m.JoinedAt()
	}
	return sum
}

func after(at time.Time, id string, keyAt time.Time, keyID string) bool {
	return at.After(keyAt) || (at.Equal(keyAt) && id > keyID)
}

// ListMembers implements organizationsport.Repository.
func (s *Store) ListMembers(ctx context.Context, id shared.OrganizationID, key *organizationsport.MemberKey, limit int) ([]organizations.Membership, error) {
	var out []organizations.Membership
	s.read(ctx, func() {
		r, ok := s.orgs[id]
		if !ok {
			return
		}
		start := 0
		if key != nil {
			start = sort.Search(len(r.order), func(i int) bool {
				m := r.order[i]
				return after(m.JoinedAt(), m.User().String(), key.JoinedAt, key.User.String())
			})
		}
		end := min(len(r.order), start+max(limit, 0))
		out = append(out, r.order[start:end]...)
	})
	return out, nil
}

// pendingOf returns r's pending invitations open at now, in (created_at,
// id) order.
func pendingOf(r *record, now time.Time) []organizations.Invitation {
	out := make([]organizations.Invitation, 0, len(r.pending))
	for _, id := range r.pending {
		if inv := r.invitations[id]; inv.ExpiresAt().After(now) {
			out = append(out, inv)
		}
	}
	sortInvitations(out)
	return out
}

func sortInvitations(invs []organizations.Invitation) {
	sort.Slice(invs, func(i, j int) bool {
		return after(invs[j].CreatedAt(), invs[j].ID().String(), invs[i].CreatedAt(), invs[i].ID().String())
	})
}

// ListInvitations implements organizationsport.Repository.
func (s *Store) ListInvitations(ctx context.Context, id shared.OrganizationID, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizations.Invitation, error) {
	var out []organizations.Invitation
	s.read(ctx, func() {
		r, ok := s.orgs[id]
		if !ok {
			return
		}
		for _, inv := range pendingOf(r, now) {
			if key != nil && !after(inv.CreatedAt(), inv.ID().String(), key.CreatedAt, key.ID.String()) {
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

// ListInvitationsFor implements organizationsport.Repository.
func (s *Store) ListInvitationsFor(ctx context.Context, email string, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizationsport.InvitationRecord, error) {
	var all []organizationsport.InvitationRecord
	s.read(ctx, func() {
		for _, r := range s.orgs {
			if id, ok := r.pending[email]; ok {
				if inv := r.invitations[id]; inv.ExpiresAt().After(now) {
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
	var (
		out organizationsport.InvitationRecord
		err error = organizations.ErrInvitationNotFound
	)
	s.read(ctx, func() { out, err = s.findInvitation(id) })
	return out, err
}

// FindInvitationByToken implements organizationsport.Repository.
func (s *Store) FindInvitationByToken(ctx context.Context, h organizations.TokenHash) (organizationsport.InvitationRecord, error) {
	if h.IsZero() {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	var (
		out organizationsport.InvitationRecord
		err error = organizations.ErrInvitationNotFound
	)
	s.read(ctx, func() {
		if id, ok := s.byToken[h]; ok {
			out, err = s.findInvitation(id)
		}
	})
	return out, err
}

func (s *Store) findInvitation(id uuid.UUID) (organizationsport.InvitationRecord, error) {
	r, ok := s.orgs[s.byID[id]]
	if !ok {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	inv, ok := r.invitations[id]
	if !ok {
		return organizationsport.InvitationRecord{}, errors.New("organizationsmem: an indexed invitation is missing")
	}
	return organizationsport.InvitationRecord{Organization: r.id, OrganizationName: r.name, Invitation: inv}, nil
}

// ListForUser implements organizationsport.Repository.
func (s *Store) ListForUser(ctx context.Context, user shared.UserID, key *organizationsport.MembershipKey, limit int) ([]organizationsport.OrganizationSummary, error) {
	var all []organizationsport.OrganizationSummary
	s.read(ctx, func() {
		for _, r := range s.orgs {
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
	s.read(ctx, func() {
		for id, r := range s.orgs {
			if _, ok := r.members[user]; ok {
				out = append(out, id)
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}
