package organizations

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// MaxNameLength bounds an organization's name (in characters).
const MaxNameLength = 100

// Membership is one user's role in an organization.
type Membership struct {
	user     shared.UserID
	role     Role
	joinedAt time.Time
}

// RehydrateMembership rebuilds a stored membership (adapters only).
func RehydrateMembership(user shared.UserID, role Role, joinedAt time.Time) Membership {
	return Membership{user: user, role: role, joinedAt: joinedAt}
}

// User is the member.
func (m Membership) User() shared.UserID { return m.user }

// Role is the member's role.
func (m Membership) Role() Role { return m.role }

// JoinedAt is when the membership began.
func (m Membership) JoinedAt() time.Time { return m.joinedAt }

// ErrNotLoaded is what a verb answers when it needs a membership or an
// invitation the store did not load with the aggregate: a defect of the
// caller (the use case names what a change needs, the store loads it), so it
// carries no error kind and answers 500 rather than guessing "not a member".
var ErrNotLoaded = errors.New("organizations: the change needs a part of the organization that was not loaded")

// Organization is the aggregate root of the context.
//
// Invariants:
//   - name is 1 to MaxNameLength printable characters, trimmed; slug is valid;
//   - a live organization has at least one owner;
//   - a user has at most one membership and an email at most one pending
//     invitation; inviting a member's address is refused;
//   - an invitation becomes a membership only through AcceptInvitation, by
//     the user whose email is the invited one, before it expires, while its
//     sender may still grant its role;
//   - once deleted, no verb changes it any more.
//
// An organization may have a hundred thousand members, so it is loaded in
// part (RehydrateOrganizationPart): its own fields, its owner and member
// counts, and only the memberships and pending invitations a command names
// (the actor, the target, an invitation and its sender, an address). The
// counts carry the rules that span every membership (the last owner, the
// only member); a verb that would need a membership or invitation that was
// not loaded fails with ErrNotLoaded and changes nothing. Closed
// invitations are never loaded; one that closes (accepted, declined,
// cancelled, expired) leaves Invitations and is listed by
// ClosedInvitations until the store has saved its final state.
type Organization struct {
	id        shared.OrganizationID
	name      string
	slug      Slug
	createdAt time.Time
	updatedAt time.Time
	deleted   bool
	deletedAt time.Time
	// requireMFA is the organization's policy: members without a second
	// factor cannot act in it.
	requireMFA bool
	// owners and memberCount count every owner and membership, loaded or not.
	owners      int
	memberCount int
	// complete says every membership and pending invitation is loaded.
	complete bool
	members  map[shared.UserID]Membership
	// users, emails and ids are what was looked up (found or not): a user's
	// membership, an address's and an id's pending invitation.
	users       map[shared.UserID]bool
	invitations map[string]Invitation
	emails      map[string]bool
	ids         map[uuid.UUID]bool
	closed      []Invitation
	events      []Event
}

// NewOrganization creates an organization whose creator is its first owner.
func NewOrganization(id shared.OrganizationID, name string, slug Slug, creator shared.UserID, now time.Time) (*Organization, error) {
	fe := shared.FieldErrors{}
	name, reason := cleanName(name)
	if reason != "" {
		fe.Add("name", reason)
	}
	if slug.IsZero() {
		fe.Add("slug", "is required")
	}
	if err := fe.Err(CodeInvalid); err != nil {
		return nil, err
	}
	if id.IsZero() || creator.IsZero() {
		return nil, shared.Invalid(CodeInvalid, "organization and creator ids are required", nil)
	}
	o := newOrganization(id, name, slug, now, now)
	o.complete = true
	o.members[creator] = Membership{user: creator, role: RoleOwner, joinedAt: now}
	o.owners, o.memberCount = 1, 1
	o.record(OrganizationCreated{EventMeta: o.meta(creator, now), Name: name, Slug: slug.String()})
	return o, nil
}

func newOrganization(id shared.OrganizationID, name string, slug Slug, createdAt, updatedAt time.Time) *Organization {
	return &Organization{
		id: id, name: name, slug: slug, createdAt: createdAt, updatedAt: updatedAt,
		members: map[shared.UserID]Membership{}, users: map[shared.UserID]bool{},
		invitations: map[string]Invitation{}, emails: map[string]bool{}, ids: map[uuid.UUID]bool{},
	}
}

// RehydrateOrganization rebuilds a stored, live organization (adapters
// only) from all of its memberships and pending invitations; invitations
// in any other status are left out.
func RehydrateOrganization(id shared.OrganizationID, name string, slug Slug, createdAt, updatedAt time.Time,
	members []Membership, invitations []Invitation) *Organization {
	o := newOrganization(id, name, slug, createdAt, updatedAt)
	o.complete = true
	o.load(members, invitations)
	o.owners, o.memberCount = o.loadedOwners(), len(o.members)
	return o
}

// OrganizationState is a stored, live organization loaded in part, for
// RehydrateOrganizationPart.
type OrganizationState struct {
	ID        shared.OrganizationID
	Name      string
	Slug      Slug
	CreatedAt time.Time
	UpdatedAt time.Time
	// RequireMFA is the multi-factor policy.
	RequireMFA bool
	// Owners and Members count all of its owners and memberships.
	Owners  int
	Members int
	// Memberships are the loaded memberships; LoadedUsers lists every user
	// whose membership was looked up, whether they have one or not.
	Memberships []Membership
	LoadedUsers []shared.UserID
	// Invitations are the loaded pending invitations (any other status is
	// left out); LoadedEmails and LoadedInvitations list every address and
	// id whose pending invitation was looked up, found or not. A loaded
	// invitation's own address and id count as looked up.
	Invitations       []Invitation
	LoadedEmails      []string
	LoadedInvitations []uuid.UUID
}

// RehydrateOrganizationPart rebuilds a stored, live organization from the
// part of it a command needs (adapters only). A count below what the loaded
// memberships show is raised to it: loaded rows are real.
func RehydrateOrganizationPart(s OrganizationState) *Organization {
	o := newOrganization(s.ID, s.Name, s.Slug, s.CreatedAt, s.UpdatedAt)
	o.requireMFA = s.RequireMFA
	o.load(s.Memberships, s.Invitations)
	for _, u := range s.LoadedUsers {
		o.users[u] = true
	}
	for _, e := range s.LoadedEmails {
		o.emails[e] = true
	}
	for _, id := range s.LoadedInvitations {
		o.ids[id] = true
	}
	o.owners, o.memberCount = max(s.Owners, o.loadedOwners()), max(s.Members, len(o.members))
	return o
}

func (o *Organization) load(members []Membership, invitations []Invitation) {
	for _, m := range members {
		o.members[m.user] = m
		o.users[m.user] = true
	}
	for _, i := range invitations {
		if i.status == StatusPending {
			o.invitations[i.email] = i
			o.emails[i.email] = true
			o.ids[i.id] = true
		}
	}
}

func (o *Organization) loadedOwners() int {
	n := 0
	for _, m := range o.members {
		if m.role == RoleOwner {
			n++
		}
	}
	return n
}

// ID identifies the organization.
func (o *Organization) ID() shared.OrganizationID { return o.id }

// Name is the display name.
func (o *Organization) Name() string { return o.name }

// Slug is the URL handle.
func (o *Organization) Slug() Slug { return o.slug }

// CreatedAt is when it was created.
func (o *Organization) CreatedAt() time.Time { return o.createdAt }

// UpdatedAt is when its name or slug last changed.
func (o *Organization) UpdatedAt() time.Time { return o.updatedAt }

// RequireMFA reports whether members need a second factor to act in it.
func (o *Organization) RequireMFA() bool { return o.requireMFA }

// Deleted reports that the organization was deleted by a verb of this
// aggregate; the store then removes it with its memberships and invitations.
func (o *Organization) Deleted() bool { return o.deleted }

// DeletedAt is when it was deleted (zero while live).
func (o *Organization) DeletedAt() time.Time { return o.deletedAt }

// Members returns the loaded memberships (all of them only when the
// organization was loaded whole), ordered by join time, then user id.
func (o *Organization) Members() []Membership {
	out := make([]Membership, 0, len(o.members))
	for _, m := range o.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].joinedAt.Equal(out[j].joinedAt) {
			return out[i].joinedAt.Before(out[j].joinedAt)
		}
		return out[i].user.String() < out[j].user.String()
	})
	return out
}

// Invitations returns the loaded pending invitations ordered by creation
// time, then id.
func (o *Organization) Invitations() []Invitation {
	out := make([]Invitation, 0, len(o.invitations))
	for _, i := range o.invitations {
		out = append(out, i)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].createdAt.Equal(out[j].createdAt) {
			return out[i].createdAt.Before(out[j].createdAt)
		}
		return out[i].id.String() < out[j].id.String()
	})
	return out
}

// ClosedInvitations returns the invitations that left the pending state
// since the aggregate was loaded, with their final status, in the order
// they closed.
func (o *Organization) ClosedInvitations() []Invitation {
	return append([]Invitation(nil), o.closed...)
}

// Invitation returns the loaded pending invitation with id.
func (o *Organization) Invitation(id uuid.UUID) (Invitation, bool) {
	for _, i := range o.invitations {
		if i.id == id {
			return i, true
		}
	}
	return Invitation{}, false
}

// RoleOf returns user's role, or the zero Role when they are not a member
// (or their membership was not loaded).
func (o *Organization) RoleOf(user shared.UserID) Role { return o.members[user].role }

// Member returns user's membership, when they have one and it was loaded.
func (o *Organization) Member(user shared.UserID) (Membership, bool) {
	m, ok := o.members[user]
	return m, ok
}

// OwnerCount counts the owners, loaded or not.
func (o *Organization) OwnerCount() int { return o.owners }

// MemberCount counts the memberships, loaded or not.
func (o *Organization) MemberCount() int { return o.memberCount }

// membership looks user's membership up: ok false when they are not a
// member, ErrNotLoaded when the store did not look. The zero user is
// nobody's membership.
func (o *Organization) membership(user shared.UserID) (Membership, bool, error) {
	if user.IsZero() {
		return Membership{}, false, nil
	}
	m, ok := o.members[user]
	if ok || o.complete || o.users[user] {
		return m, ok, nil
	}
	return Membership{}, false, fmt.Errorf("%w: the membership of %s", ErrNotLoaded, user)
}

// pendingFor looks up the pending invitation of a normalized address.
func (o *Organization) pendingFor(email string) (Invitation, bool, error) {
	inv, ok := o.invitations[email]
	if ok || o.complete || o.emails[email] {
		return inv, ok, nil
	}
	return Invitation{}, false, fmt.Errorf("%w: the pending invitation of an address", ErrNotLoaded)
}

// pendingByID looks up the pending invitation id.
func (o *Organization) pendingByID(id uuid.UUID) (Invitation, bool, error) {
	if inv, ok := o.Invitation(id); ok {
		return inv, true, nil
	}
	if o.complete || o.ids[id] {
		return Invitation{}, false, nil
	}
	return Invitation{}, false, fmt.Errorf("%w: invitation %s", ErrNotLoaded, id)
}

// join adds m and counts it.
func (o *Organization) join(m Membership) {
	o.members[m.user] = m
	o.users[m.user] = true
	o.memberCount++
	if m.role == RoleOwner {
		o.owners++
	}
}

// leave removes m and uncounts it.
func (o *Organization) leave(m Membership) {
	delete(o.members, m.user)
	o.memberCount--
	if m.role == RoleOwner {
		o.owners--
	}
}

// PullEvents returns the recorded events and forgets them.
func (o *Organization) PullEvents() []Event {
	ev := o.events
	o.events = nil
	return ev
}

// View checks that actor may read the organization and returns their role.
func (o *Organization) View(actor shared.UserID) (Role, error) {
	role, err := o.actorRole(actor)
	if err != nil {
		return Role{}, err
	}
	return role, AuthorizeRead(role)
}

// Changes is a partial update of an organization; nil fields stay as they are.
type Changes struct {
	Name *string
	Slug *Slug
	// RequireMFA changes the multi-factor policy (owners only).
	RequireMFA *bool
}

// Update applies changes (owners and admins). It reports whether anything
// changed; an update to the current values records no event.
func (o *Organization) Update(actor shared.UserID, c Changes, now time.Time) (bool, error) {
	role, err := o.actorRole(actor)
	if err != nil {
		return false, err
	}
	if role != RoleOwner && role != RoleAdmin {
		return false, ErrForbidden
	}
	fe := shared.FieldErrors{}
	var name string
	if c.Name != nil {
		var reason string
		if name, reason = cleanName(*c.Name); reason != "" {
			fe.Add("name", reason)
		}
	}
	if c.Slug != nil && c.Slug.IsZero() {
		fe.Add("slug", "must not be empty")
	}
	if c.RequireMFA != nil && *c.RequireMFA != o.requireMFA && role != RoleOwner {
		return false, ErrMFAPolicyOwnersOnly
	}
	if err := fe.Err(CodeInvalid); err != nil {
		return false, err
	}
	var changes []FieldChange
	if c.Name != nil && name != o.name {
		changes = append(changes, FieldChange{Field: "name", From: o.name, To: name})
	}
	if c.Slug != nil && *c.Slug != o.slug {
		changes = append(changes, FieldChange{Field: "slug", From: o.slug.String(), To: c.Slug.String()})
	}
	if c.RequireMFA != nil && *c.RequireMFA != o.requireMFA {
		changes = append(changes, FieldChange{Field: "require_mfa", From: strconv.FormatBool(o.requireMFA), To: strconv.FormatBool(*c.RequireMFA)})
	}
	if len(changes) == 0 {
		return false, nil
	}
	if c.RequireMFA != nil {
		o.requireMFA = *c.RequireMFA
	}
	if c.Name != nil {
		o.name = name
	}
	if c.Slug != nil {
		o.slug = *c.Slug
	}
	o.updatedAt = now
	o.record(OrganizationUpdated{EventMeta: o.meta(actor, now), Changes: changes})
	return true, nil
}

// Delete deletes the organization (owners only).
func (o *Organization) Delete(actor shared.UserID, now time.Time) error {
	role, err := o.actorRole(actor)
	if err != nil {
		return err
	}
	if role != RoleOwner {
		return ErrForbidden
	}
	o.markDeleted(actor, ReasonDeletedByOwner, now)
	return nil
}

// AddMember adds an existing user with role directly, under the same rules
// as Invite. People join through invitations; AddMember is for joins whose
// proof of the address is made elsewhere (provisioning).
func (o *Organization) AddMember(actor, user shared.UserID, role Role, now time.Time) (Membership, error) {
	if err := o.authorizeGrant(actor, role); err != nil {
		return Membership{}, err
	}
	if user.IsZero() {
		return Membership{}, shared.Invalid(CodeInvalid, "a user is required", nil)
	}
	if _, ok, err := o.membership(user); err != nil {
		return Membership{}, err
	} else if ok {
		return Membership{}, ErrAlreadyMember
	}
	m := Membership{user: user, role: role, joinedAt: now}
	o.join(m)
	o.record(MemberAdded{EventMeta: o.meta(actor, now), User: user, Role: role})
	return m, nil
}

// NewInvitation is what Invite needs to invite an address.
type NewInvitation struct {
	ID    uuid.UUID
	Email string
	Role  Role
	// TokenHash is the digest of the link token generated for it.
	TokenHash TokenHash
	ExpiresAt time.Time
	// Holder is the account registered under Email, zero when there is
	// none: inviting a member's address is ErrAlreadyMember, anyone else's
	// is an invitation like any other.
	Holder shared.UserID
}

// Invite records a pending invitation of an address, whether or not it has
// an account: owners invite with any role, admins with member and admin,
// members invite no one. A second invitation of an address with a live one
// pending is ErrAlreadyInvited; a pending one that has expired is closed
// as expired and replaced. Every other expired invitation of the
// organization is closed on the way, so expired ones do not pile up.
func (o *Organization) Invite(actor shared.UserID, n NewInvitation, now time.Time) (Invitation, error) {
	if err := o.authorizeGrant(actor, n.Role); err != nil {
		return Invitation{}, err
	}
	email, err := NormalizeEmail(n.Email)
	if err != nil {
		return Invitation{}, err
	}
	switch {
	case n.ID == uuid.Nil:
		return Invitation{}, shared.Invalid(CodeInvalid, "an invitation id is required", nil)
	case n.TokenHash.IsZero():
		return Invitation{}, shared.Invalid(CodeInvalid, "an invitation token is required", nil)
	case !n.ExpiresAt.After(now):
		return Invitation{}, shared.Invalid(CodeInvalid, "an invitation must expire after it is made", nil)
	}
	if _, ok, err := o.membership(n.Holder); err != nil {
		return Invitation{}, err
	} else if ok {
		return Invitation{}, ErrAlreadyMember
	}
	if old, ok, err := o.pendingFor(email); err != nil {
		return Invitation{}, err
	} else if ok && old.StatusAt(now) == StatusPending {
		return Invitation{}, ErrAlreadyInvited
	}
	o.ExpireDueInvitations(now)
	inv := Invitation{
		id: n.ID, email: email, role: n.Role, invitedBy: actor, tokenHash: n.TokenHash,
		createdAt: now, expiresAt: n.ExpiresAt, status: StatusPending,
	}
	o.invitations[email] = inv
	o.emails[email], o.ids[inv.id] = true, true
	o.record(InvitationCreated{EventMeta: o.meta(actor, now), Invitation: inv.id, Email: email, Role: inv.role, ExpiresAt: inv.expiresAt})
	return inv, nil
}

// AcceptInvitation turns the pending invitation id into a membership of
// user, whose account's email is email. An unknown invitation, one closed
// already, and one addressed to another email are all
// ErrInvitationNotFound; past its expiry it is ErrInvitationExpired (the
// caller records the expiry with ExpireDueInvitations); a member accepting
// is ErrAlreadyMember; an invitation whose sender may no longer grant its
// role (an owner invitation from someone who is no longer an owner, any
// invitation from someone who left) is ErrInviterNotAllowed.
func (o *Organization) AcceptInvitation(id uuid.UUID, user shared.UserID, email string, now time.Time) (Membership, error) {
	inv, err := o.inviteeInvitation(id, user, email, now)
	if err != nil {
		return Membership{}, err
	}
	if _, member, err := o.membership(user); err != nil {
		return Membership{}, err
	} else if member {
		return Membership{}, ErrAlreadyMember
	}
	if err := o.authorizeGrant(inv.invitedBy, inv.role); errors.Is(err, ErrNotLoaded) {
		return Membership{}, err
	} else if err != nil {
		return Membership{}, ErrInviterNotAllowed
	}
	m := Membership{user: user, role: inv.role, joinedAt: now}
	o.join(m)
	o.closeInvitation(inv, StatusAccepted, user, now)
	meta := o.meta(user, now)
	o.record(InvitationAccepted{EventMeta: meta, Invitation: inv.id, User: user, Email: inv.email, Role: inv.role, InvitedBy: inv.invitedBy})
	o.record(MemberAdded{EventMeta: meta, User: user, Role: inv.role, Invitation: inv.id})
	return m, nil
}

// DeclineInvitation closes the pending invitation id as declined by user,
// whose account's email is email, with AcceptInvitation's refusals for an
// invitation that is not theirs or has expired.
func (o *Organization) DeclineInvitation(id uuid.UUID, user shared.UserID, email string, now time.Time) error {
	inv, err := o.inviteeInvitation(id, user, email, now)
	if err != nil {
		return err
	}
	o.closeInvitation(inv, StatusDeclined, user, now)
	o.record(InvitationDeclined{EventMeta: o.meta(user, now), Invitation: inv.id, Email: inv.email, Role: inv.role})
	return nil
}

// CancelInvitation withdraws the pending invitation id (owners and admins;
// an owner invitation only owners, as only they grant that role). An
// expired one may be cancelled too.
func (o *Organization) CancelInvitation(actor shared.UserID, id uuid.UUID, now time.Time) error {
	role, err := o.actorRole(actor)
	if err != nil {
		return err
	}
	if role != RoleOwner && role != RoleAdmin {
		return ErrForbidden
	}
	inv, ok, err := o.pendingByID(id)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvitationNotFound
	}
	if inv.role == RoleOwner && role != RoleOwner {
		return ErrOwnerRequired
	}
	o.closeInvitation(inv, StatusCancelled, actor, now)
	o.record(InvitationCancelled{EventMeta: o.meta(actor, now), Invitation: inv.id, Email: inv.email, Role: inv.role})
	return nil
}

// ExpireDueInvitations closes every pending invitation whose expiry has
// passed as expired, recording each, and reports how many it closed.
func (o *Organization) ExpireDueInvitations(now time.Time) int {
	if o.deleted {
		return 0
	}
	n := 0
	for _, inv := range o.Invitations() {
		if inv.StatusAt(now) != StatusExpired {
			continue
		}
		o.closeInvitation(inv, StatusExpired, shared.UserID{}, now)
		o.record(InvitationExpired{EventMeta: o.meta(shared.UserID{}, now), Invitation: inv.id, Email: inv.email, Role: inv.role, ExpiresAt: inv.expiresAt})
		n++
	}
	return n
}

// inviteeInvitation finds the pending invitation id for the user whose
// email is email, refusing one that is not theirs or has expired.
func (o *Organization) inviteeInvitation(id uuid.UUID, user shared.UserID, email string, now time.Time) (Invitation, error) {
	if o.deleted || user.IsZero() {
		return Invitation{}, ErrInvitationNotFound
	}
	inv, ok, err := o.pendingByID(id)
	if err != nil {
		return Invitation{}, err
	}
	if !ok || !inv.IsFor(email) {
		return Invitation{}, ErrInvitationNotFound
	}
	if inv.StatusAt(now) == StatusExpired {
		return Invitation{}, ErrInvitationExpired
	}
	return inv, nil
}

func (o *Organization) closeInvitation(inv Invitation, status InvitationStatus, by shared.UserID, now time.Time) {
	delete(o.invitations, inv.email)
	o.closed = append(o.closed, inv.close(status, by, now))
}

// RemoveMember ends target's membership. Anyone may leave (remove
// themselves); owners remove anyone; admins remove members and admins but
// not owners; the last owner can neither leave nor be removed.
func (o *Organization) RemoveMember(actor, target shared.UserID, now time.Time) error {
	actorRole, err := o.actorRole(actor)
	if err != nil {
		return err
	}
	self := actor == target
	if !self && actorRole == RoleMember {
		return ErrForbidden
	}
	m, ok, err := o.membership(target)
	if err != nil {
		return err
	}
	if !ok {
		return ErrMemberNotFound
	}
	if !self && actorRole == RoleAdmin && m.role == RoleOwner {
		return ErrOwnerRequired
	}
	if m.role == RoleOwner && o.owners <= 1 {
		return ErrLastOwner
	}
	reason := ReasonRemoved
	if self {
		reason = ReasonSelfLeave
	}
	o.leave(m)
	o.record(MemberRemoved{EventMeta: o.meta(actor, now), User: target, Role: m.role, Reason: reason})
	return nil
}

// ChangeRole sets target's role. Owners change any role; admins switch
// members and admins (their own role included) but never touch the owner
// role; members change nothing. Demoting the last owner is ErrLastOwner.
// Setting the current role again changes nothing and records no event.
func (o *Organization) ChangeRole(actor, target shared.UserID, to Role, now time.Time) (Membership, error) {
	actorRole, err := o.actorRole(actor)
	if err != nil {
		return Membership{}, err
	}
	if actorRole == RoleMember {
		return Membership{}, ErrForbidden
	}
	if to.IsZero() {
		return Membership{}, shared.Invalid(CodeInvalid, "the request has invalid fields",
			map[string][]string{"role": {"is required"}})
	}
	m, ok, err := o.membership(target)
	if err != nil {
		return Membership{}, err
	}
	if !ok {
		return Membership{}, ErrMemberNotFound
	}
	if actorRole != RoleOwner && (m.role == RoleOwner || to == RoleOwner) {
		return Membership{}, ErrOwnerRequired
	}
	if m.role == to {
		return m, nil
	}
	if m.role == RoleOwner && o.owners <= 1 {
		return Membership{}, ErrLastOwner
	}
	from := m.role
	m.role = to
	o.members[target] = m
	switch {
	case from == RoleOwner:
		o.owners--
	case to == RoleOwner:
		o.owners++
	}
	o.record(MemberRoleChanged{EventMeta: o.meta(actor, now), User: target, From: from, To: to})
	return m, nil
}

// RemoveDepartingAccount prepares the deletion of user's account: when they
// are the only member the organization is deleted; when they are its only
// owner and others remain it is ErrSoleOwner; otherwise their membership
// ends. A user who is not a member changes nothing.
func (o *Organization) RemoveDepartingAccount(user shared.UserID, now time.Time) error {
	if o.deleted {
		return nil
	}
	m, ok, err := o.membership(user)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	if o.memberCount <= 1 {
		o.markDeleted(user, ReasonAccountDeleted, now)
		return nil
	}
	if m.role == RoleOwner && o.owners <= 1 {
		return ErrSoleOwner.WithMessage(fmt.Sprintf(
			"you are the only owner of %q, which has other members; hand over ownership or delete the organization first", o.name))
	}
	o.leave(m)
	o.record(MemberRemoved{EventMeta: o.meta(user, now), User: user, Role: m.role, Reason: ReasonAccountDeleted})
	return nil
}

// actorRole returns the acting user's role; a non-member (or a deleted
// organization) is ErrNotFound.
func (o *Organization) actorRole(actor shared.UserID) (Role, error) {
	if o.deleted {
		return Role{}, ErrNotFound
	}
	m, ok, err := o.membership(actor)
	if err != nil {
		return Role{}, err
	}
	if !ok {
		return Role{}, ErrNotFound
	}
	return m.role, nil
}

// authorizeGrant is the rule for giving someone a role (adding or inviting).
func (o *Organization) authorizeGrant(actor shared.UserID, role Role) error {
	actorRole, err := o.actorRole(actor)
	if err != nil {
		return err
	}
	if role.IsZero() {
		return shared.Invalid(CodeInvalid, "the request has invalid fields", map[string][]string{"role": {"is required"}})
	}
	switch actorRole {
	case RoleOwner:
		return nil
	case RoleAdmin:
		if role == RoleOwner {
			return ErrOwnerRequired
		}
		return nil
	default:
		return ErrForbidden
	}
}

func (o *Organization) markDeleted(actor shared.UserID, reason string, now time.Time) {
	o.deleted = true
	o.deletedAt = now
	o.members = map[shared.UserID]Membership{}
	o.invitations = map[string]Invitation{}
	o.owners, o.memberCount = 0, 0
	o.closed = nil
	o.record(OrganizationDeleted{EventMeta: o.meta(actor, now), Reason: reason})
}

func (o *Organization) meta(actor shared.UserID, now time.Time) EventMeta {
	return EventMeta{Organization: o.id, Actor: actor, At: now}
}

func (o *Organization) record(e Event) { o.events = append(o.events, e) }

func cleanName(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "is required"
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxNameLength:
		return "", "must be at most 100 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", "must not contain control characters"
		}
	}
	if shared.HasInvisible(s) {
		return "", shared.ReasonInvisibleText // it would display as another organization's name
	}
	return s, ""
}

// NormalizeEmail returns the canonical form of an address
// (shared.ParseEmail, the very rule registration applies), so an invitation
// only ever names an address an account can have, spelled the way that
// account's email is.
func NormalizeEmail(s string) (string, error) {
	e, reason := shared.ParseEmail(s)
	if reason != "" {
		return "", shared.Invalid(CodeInvalid, "the request has invalid fields",
			map[string][]string{"email": {reason}})
	}
	return e.String(), nil
}
