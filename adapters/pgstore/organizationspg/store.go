// Package organizationspg stores the organizations context in PostgreSQL or
// SQLite through GORM: organizations, memberships and pending invitations.
//
// Update locks the organization row (FOR UPDATE on PostgreSQL; SQLite's
// immediate transactions hold the single write lock), reads from it the
// owner and member counts, loads by key only the memberships and pending
// invitations the scope names, runs the closure and writes back only what
// changed, so a change reads and writes the same few rows at ten members
// and at a hundred thousand, the membership changes of one organization
// serialize, and the last-owner rule holds under concurrency. The counts
// are kept by triggers on the memberships table (migration 00015), in the
// statement that changes them, so they follow every writer. Driver errors
// are translated here into the domain's errors. It imports ports, the
// domain, pgstore and GORM only.
package organizationspg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// Store implements organizationsport.Repository on a pgstore.DB. Every
// method joins the unit of work (the DB's transaction) carried by ctx, so a
// change and its audit records commit together.
type Store struct {
	db *pgstore.DB
}

var _ organizationsport.Repository = (*Store)(nil)

// New returns a store on db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

type organizationRow struct {
	ID        string     `gorm:"column:id;primaryKey"`
	Name      string     `gorm:"column:name"`
	Slug      string     `gorm:"column:slug"`
	CreatedAt time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
	DeletedAt *time.Time `gorm:"column:deleted_at"`
	// RequireMFA is the multi-factor policy (migration 00027).
	RequireMFA bool `gorm:"column:require_mfa"`
	// OwnerCount and MemberCount are the triggers' (never written here).
	OwnerCount  int `gorm:"column:owner_count;->"`
	MemberCount int `gorm:"column:member_count;->"`
}

func (organizationRow) TableName() string { return "organizations" }

type membershipRow struct {
	OrganizationID string    `gorm:"column:organization_id;primaryKey"`
	UserID         string    `gorm:"column:user_id;primaryKey"`
	Role           string    `gorm:"column:role"`
	JoinedAt       time.Time `gorm:"column:joined_at"`
}

func (membershipRow) TableName() string { return "organization_memberships" }

type invitationRow struct {
	ID             string     `gorm:"column:id;primaryKey"`
	OrganizationID string     `gorm:"column:organization_id"`
	Email          string     `gorm:"column:email"`
	Role           string     `gorm:"column:role"`
	InvitedBy      *string    `gorm:"column:invited_by"`
	CreatedAt      time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	TokenHash      []byte     `gorm:"column:token_hash"`
	ExpiresAt      time.Time  `gorm:"column:expires_at"`
	Status         string     `gorm:"column:status"`
	ClosedAt       *time.Time `gorm:"column:closed_at"`
	ClosedBy       *string    `gorm:"column:closed_by"`
}

// invitationRecordRow is an invitation joined with its organization's name
// (flat: raw scans do not fill embedded structs).
type invitationRecordRow struct {
	ID               string
	OrganizationID   string
	Email            string
	Role             string
	InvitedBy        *string
	CreatedAt        time.Time
	TokenHash        []byte
	ExpiresAt        time.Time
	Status           string
	ClosedAt         *time.Time
	ClosedBy         *string
	OrganizationName string
}

func (r invitationRecordRow) invitation() invitationRow {
	return invitationRow{
		ID: r.ID, OrganizationID: r.OrganizationID, Email: r.Email, Role: r.Role, InvitedBy: r.InvitedBy, CreatedAt: r.CreatedAt,
		TokenHash: r.TokenHash, ExpiresAt: r.ExpiresAt, Status: r.Status, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy,
	}
}

func (invitationRow) TableName() string { return "organization_invitations" }

// summaryRow is an organization joined with one user's membership.
type summaryRow struct {
	ID         string
	Name       string
	Slug       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Role       *string
	JoinedAt   *time.Time
	RequireMFA bool
}

// Create implements organizationsport.Repository.
func (s *Store) Create(ctx context.Context, org *organizations.Organization) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		row := organizationRow{
			ID: org.ID().String(), Name: org.Name(), Slug: org.Slug().String(),
			CreatedAt: org.CreatedAt().UTC(), UpdatedAt: org.UpdatedAt().UTC(), RequireMFA: org.RequireMFA(),
		}
		if err := conn.Create(&row).Error; err != nil {
			if pgstore.IsDuplicate(err) {
				return organizations.ErrSlugTaken.WithCause(err)
			}
			return fmt.Errorf("insert organization: %w", err)
		}
		return s.saveChildren(ctx, org.ID(), nil, nil, org)
	})
}

// Update implements organizationsport.Repository.
func (s *Store) Update(ctx context.Context, id shared.OrganizationID, scope organizationsport.Scope, fn func(*organizations.Organization) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		var row organizationRow
		q := conn.Where("id = ? AND deleted_at IS NULL", id.String())
		if err := s.db.ForUpdate(q).Take(&row).Error; err != nil {
			if pgstore.IsNotFound(err) {
				return organizations.ErrNotFound
			}
			return fmt.Errorf("lock organization: %w", err)
		}
		// Closed invitations are history: never loaded, so a change costs the
		// same however many there have been.
		invitations, err := s.loadInvitations(ctx, row.ID, scope)
		if err != nil {
			return err
		}
		users := append([]shared.UserID(nil), scope.Users...)
		for _, i := range invitations {
			// Accepting one asks whether its sender may still grant its role.
			if i.InvitedBy != nil {
				if u, err := uuid.Parse(*i.InvitedBy); err == nil {
					users = append(users, shared.UserID(u))
				}
			}
		}
		users = distinctUsers(users)
		var members []membershipRow
		if len(users) > 0 {
			keys := make([]string, len(users))
			for i, u := range users {
				keys[i] = u.String()
			}
			if err := conn.Where("organization_id = ? AND user_id IN ?", row.ID, keys).Find(&members).Error; err != nil {
				return fmt.Errorf("load memberships: %w", err)
			}
		}
		org, err := rehydrate(row, members, users, invitations, scope)
		if err != nil {
			return err
		}
		if err := fn(org); err != nil {
			return err
		}
		return s.save(ctx, row, members, invitations, org)
	})
}

// loadInvitations reads the pending invitations scope names, by id and by
// address, and its bounded batch of due ones.
func (s *Store) loadInvitations(ctx context.Context, oid string, scope organizationsport.Scope) ([]invitationRow, error) {
	conn := s.db.Conn(ctx)
	pending := organizations.StatusPending.String()
	ids := make([]string, 0, len(scope.Invitations))
	for _, id := range scope.Invitations {
		ids = append(ids, id.String())
	}
	var rows []invitationRow
	if len(ids) > 0 || len(scope.Emails) > 0 {
		q := conn.Where("organization_id = ? AND status = ?", oid, pending)
		switch {
		case len(ids) > 0 && len(scope.Emails) > 0:
			q = q.Where("(id IN ? OR email IN ?)", ids, scope.Emails)
		case len(ids) > 0:
			q = q.Where("id IN ?", ids)
		default:
			q = q.Where("email IN ?", scope.Emails)
		}
		if err := q.Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("load invitations: %w", err)
		}
	}
	if !scope.DueBy.IsZero() && scope.DueLimit > 0 {
		var due []invitationRow
		if err := conn.Where("organization_id = ? AND status = ? AND expires_at <= ?", oid, pending, scope.DueBy.UTC()).
			Order("expires_at, id").Limit(scope.DueLimit).Find(&due).Error; err != nil {
			return nil, fmt.Errorf("load due invitations: %w", err)
		}
		seen := make(map[string]bool, len(rows))
		for _, r := range rows {
			seen[r.ID] = true
		}
		for _, r := range due {
			if !seen[r.ID] {
				rows = append(rows, r)
			}
		}
	}
	return rows, nil
}

func distinctUsers(in []shared.UserID) []shared.UserID {
	seen := make(map[shared.UserID]bool, len(in))
	out := in[:0]
	for _, u := range in {
		if !u.IsZero() && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func (s *Store) save(ctx context.Context, before organizationRow, members []membershipRow, invitations []invitationRow, org *organizations.Organization) error {
	conn := s.db.Conn(ctx)
	if org.Deleted() {
		for _, table := range []string{"organization_memberships", "organization_invitations"} {
			if err := conn.Exec("DELETE FROM "+table+" WHERE organization_id = ?", before.ID).Error; err != nil {
				return fmt.Errorf("delete %s: %w", table, err)
			}
		}
		at := org.DeletedAt().UTC()
		if err := conn.Model(&organizationRow{}).Where("id = ?", before.ID).
			Updates(map[string]any{"deleted_at": at, "updated_at": at}).Error; err != nil {
			return fmt.Errorf("delete organization: %w", err)
		}
		return nil
	}
	if org.Name() != before.Name || org.Slug().String() != before.Slug || !org.UpdatedAt().Equal(before.UpdatedAt) ||
		org.RequireMFA() != before.RequireMFA {
		err := conn.Model(&organizationRow{}).Where("id = ?", before.ID).Updates(map[string]any{
			"name": org.Name(), "slug": org.Slug().String(), "updated_at": org.UpdatedAt().UTC(), "require_mfa": org.RequireMFA(),
		}).Error
		if pgstore.IsDuplicate(err) {
			return organizations.ErrSlugTaken.WithCause(err)
		}
		if err != nil {
			return fmt.Errorf("update organization: %w", err)
		}
	}
	return s.saveChildren(ctx, org.ID(), members, invitations, org)
}

// saveChildren writes the difference between the stored memberships and
// invitations and the aggregate's.
func (s *Store) saveChildren(ctx context.Context, id shared.OrganizationID, members []membershipRow, invitations []invitationRow, org *organizations.Organization) error {
	conn := s.db.Conn(ctx)
	oid := id.String()

	stored := make(map[string]membershipRow, len(members))
	for _, m := range members {
		stored[m.UserID] = m
	}
	for _, m := range org.Members() {
		uid := m.User().String()
		old, ok := stored[uid]
		delete(stored, uid)
		switch {
		case !ok:
			row := membershipRow{OrganizationID: oid, UserID: uid, Role: m.Role().String(), JoinedAt: m.JoinedAt().UTC()}
			if err := conn.Create(&row).Error; err != nil {
				switch {
				case pgstore.IsForeignKeyViolation(err):
					return organizations.ErrUserNotFound.WithCause(err)
				case pgstore.IsDuplicate(err):
					return organizations.ErrAlreadyMember.WithCause(err)
				}
				return fmt.Errorf("insert membership: %w", err)
			}
		case old.Role != m.Role().String():
			res := conn.Model(&membershipRow{}).Where("organization_id = ? AND user_id = ?", oid, uid).Update("role", m.Role().String())
			if err := changedOne(res, "update membership"); err != nil {
				return err
			}
		}
	}
	for uid := range stored {
		res := conn.Where("organization_id = ? AND user_id = ?", oid, uid).Delete(&membershipRow{})
		if err := changedOne(res, "delete membership"); err != nil {
			return err
		}
	}

	pending := make(map[string]bool, len(invitations))
	for _, i := range invitations {
		pending[i.ID] = true
	}
	for _, i := range org.ClosedInvitations() {
		iid := i.ID().String()
		delete(pending, iid)
		res := conn.Model(&invitationRow{}).Where("id = ? AND status = ?", iid, organizations.StatusPending.String()).
			Updates(map[string]any{"status": i.Status().String(), "closed_at": i.ClosedAt().UTC(), "closed_by": optionalID(i.ClosedBy())})
		if res.Error != nil {
			return fmt.Errorf("close invitation: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			// Only pending rows load and the organization row is locked, so
			// this would be an invitation closed behind the lock's back.
			return fmt.Errorf("close invitation %s: it is no longer pending", iid)
		}
	}
	for _, i := range org.Invitations() {
		iid := i.ID().String()
		if pending[iid] {
			delete(pending, iid)
			continue
		}
		row := invitationRow{
			ID: iid, OrganizationID: oid, Email: i.Email(), Role: i.Role().String(), InvitedBy: optionalID(i.InvitedBy()),
			CreatedAt: i.CreatedAt().UTC(), ExpiresAt: i.ExpiresAt().UTC(), Status: i.Status().String(),
		}
		if !i.TokenHash().IsZero() {
			row.TokenHash = i.TokenHash().Bytes()
		}
		if err := conn.Create(&row).Error; err != nil {
			if pgstore.IsDuplicate(err) {
				return organizations.ErrAlreadyInvited.WithCause(err)
			}
			return fmt.Errorf("insert invitation: %w", err)
		}
	}
	for iid := range pending {
		if err := conn.Where("id = ?", iid).Delete(&invitationRow{}).Error; err != nil {
			return fmt.Errorf("delete invitation: %w", err)
		}
	}
	return nil
}

// changedOne checks that a write of one loaded membership found it: the
// organization row is locked, so anything else is a change behind the
// lock's back, which must fail rather than pass for a success.
func changedOne(res *gorm.DB, what string) error {
	if res.Error != nil {
		return fmt.Errorf("%s: %w", what, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("%s: %d rows changed where the locked organization had one", what, res.RowsAffected)
	}
	return nil
}

func optionalID(id shared.UserID) *string {
	if id.IsZero() {
		return nil
	}
	s := id.String()
	return &s
}

func rehydrate(row organizationRow, members []membershipRow, users []shared.UserID, invitations []invitationRow,
	scope organizationsport.Scope) (*organizations.Organization, error) {
	id, err := uuid.Parse(row.ID)
	if err != nil {
		return nil, fmt.Errorf("stored organization id %q: %w", row.ID, err)
	}
	slug, err := organizations.ParseSlug(row.Slug)
	if err != nil {
		return nil, fmt.Errorf("stored slug of %s: %w", row.ID, err)
	}
	ms, err := toMemberships(members)
	if err != nil {
		return nil, err
	}
	invs, err := toInvitations(invitations)
	if err != nil {
		return nil, err
	}
	return organizations.RehydrateOrganizationPart(organizations.OrganizationState{
		ID: shared.OrganizationID(id), Name: row.Name, Slug: slug, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
		RequireMFA: row.RequireMFA, Owners: row.OwnerCount, Members: row.MemberCount, Memberships: ms, LoadedUsers: users,
		Invitations: invs, LoadedEmails: scope.Emails, LoadedInvitations: scope.Invitations,
	}), nil
}

func toMemberships(rows []membershipRow) ([]organizations.Membership, error) {
	out := make([]organizations.Membership, 0, len(rows))
	for _, m := range rows {
		uid, err := uuid.Parse(m.UserID)
		if err != nil {
			return nil, fmt.Errorf("stored member id %q: %w", m.UserID, err)
		}
		role, err := organizations.ParseRole(m.Role)
		if err != nil {
			return nil, fmt.Errorf("stored role %q: %w", m.Role, err)
		}
		out = append(out, organizations.RehydrateMembership(shared.UserID(uid), role, m.JoinedAt.UTC()))
	}
	return out, nil
}

func toInvitations(rows []invitationRow) ([]organizations.Invitation, error) {
	out := make([]organizations.Invitation, 0, len(rows))
	for _, r := range rows {
		inv, err := toInvitation(r)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, nil
}

func toInvitation(r invitationRow) (organizations.Invitation, error) {
	st := organizations.InvitationState{CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), Email: r.Email}
	var err error
	if st.ID, err = uuid.Parse(r.ID); err != nil {
		return organizations.Invitation{}, fmt.Errorf("stored invitation id %q: %w", r.ID, err)
	}
	if st.Role, err = organizations.ParseRole(r.Role); err != nil {
		return organizations.Invitation{}, fmt.Errorf("stored role %q: %w", r.Role, err)
	}
	if st.Status, err = organizations.ParseInvitationStatus(r.Status); err != nil {
		return organizations.Invitation{}, fmt.Errorf("stored invitation status %q: %w", r.Status, err)
	}
	if len(r.TokenHash) > 0 {
		if st.TokenHash, err = organizations.NewTokenHash(r.TokenHash); err != nil {
			return organizations.Invitation{}, fmt.Errorf("stored token hash of %s: %w", r.ID, err)
		}
	}
	if st.InvitedBy, err = parseOptionalUser(r.InvitedBy); err != nil {
		return organizations.Invitation{}, fmt.Errorf("stored inviter of %s: %w", r.ID, err)
	}
	if st.ClosedBy, err = parseOptionalUser(r.ClosedBy); err != nil {
		return organizations.Invitation{}, fmt.Errorf("stored closer of %s: %w", r.ID, err)
	}
	if r.ClosedAt != nil {
		st.ClosedAt = r.ClosedAt.UTC()
	}
	return organizations.RehydrateInvitation(st), nil
}

func parseOptionalUser(s *string) (shared.UserID, error) {
	if s == nil {
		return shared.UserID{}, nil
	}
	u, err := uuid.Parse(*s)
	if err != nil {
		return shared.UserID{}, err
	}
	return shared.UserID(u), nil
}

const summaryColumns = "o.id, o.name, o.slug, o.created_at, o.updated_at, m.role, m.joined_at, o.require_mfa"

// Find implements organizationsport.Repository.
func (s *Store) Find(ctx context.Context, id shared.OrganizationID, viewer shared.UserID) (organizationsport.OrganizationSummary, error) {
	var rows []summaryRow
	err := s.db.Conn(ctx).Raw(`SELECT `+summaryColumns+`
		FROM organizations o
		LEFT JOIN organization_memberships m ON m.organization_id = o.id AND m.user_id = ?
		WHERE o.id = ? AND o.deleted_at IS NULL`, viewer.String(), id.String()).Scan(&rows).Error
	if err != nil {
		return organizationsport.OrganizationSummary{}, fmt.Errorf("find organization: %w", err)
	}
	if len(rows) == 0 {
		return organizationsport.OrganizationSummary{}, organizations.ErrNotFound
	}
	return toSummary(rows[0])
}

func toSummary(r summaryRow) (organizationsport.OrganizationSummary, error) {
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return organizationsport.OrganizationSummary{}, fmt.Errorf("stored organization id %q: %w", r.ID, err)
	}
	slug, err := organizations.ParseSlug(r.Slug)
	if err != nil {
		return organizationsport.OrganizationSummary{}, fmt.Errorf("stored slug %q: %w", r.Slug, err)
	}
	sum := organizationsport.OrganizationSummary{
		ID: shared.OrganizationID(id), Name: r.Name, Slug: slug, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		RequireMFA: r.RequireMFA,
	}
	if r.Role != nil {
		if sum.Role, err = organizations.ParseRole(*r.Role); err != nil {
			return organizationsport.OrganizationSummary{}, fmt.Errorf("stored role %q: %w", *r.Role, err)
		}
	}
	if r.JoinedAt != nil {
		sum.JoinedAt = r.JoinedAt.UTC()
	}
	return sum, nil
}

// ListMembers implements organizationsport.Repository.
func (s *Store) ListMembers(ctx context.Context, id shared.OrganizationID, key *organizationsport.MemberKey, limit int) ([]organizations.Membership, error) {
	q := s.db.Conn(ctx).Where("organization_id = ?", id.String())
	if key != nil {
		t := key.JoinedAt.UTC()
		q = q.Where("(joined_at > ? OR (joined_at = ? AND user_id > ?))", t, t, key.User.String())
	}
	var rows []membershipRow
	if err := q.Order("joined_at, user_id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return toMemberships(rows)
}

// ListInvitations implements organizationsport.Repository.
func (s *Store) ListInvitations(ctx context.Context, id shared.OrganizationID, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizations.Invitation, error) {
	q := s.db.Conn(ctx).Where("organization_id = ? AND status = ? AND expires_at > ?", id.String(), organizations.StatusPending.String(), now.UTC())
	if key != nil {
		t := key.CreatedAt.UTC()
		q = q.Where("(created_at > ? OR (created_at = ? AND id > ?))", t, t, key.ID.String())
	}
	var rows []invitationRow
	if err := q.Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return toInvitations(rows)
}

const invitationRecordSelect = `SELECT i.id, i.organization_id, i.email, i.role, i.invited_by, i.created_at, i.token_hash,
		i.expires_at, i.status, i.closed_at, i.closed_by, o.name AS organization_name
		FROM organization_invitations i
		JOIN organizations o ON o.id = i.organization_id AND o.deleted_at IS NULL`

// ListInvitationsFor implements organizationsport.Repository.
func (s *Store) ListInvitationsFor(ctx context.Context, email string, now time.Time, key *organizationsport.InvitationKey, limit int) ([]organizationsport.InvitationRecord, error) {
	sql := invitationRecordSelect + ` WHERE i.email = ? AND i.status = ? AND i.expires_at > ?`
	args := []any{email, organizations.StatusPending.String(), now.UTC()}
	if key != nil {
		t := key.CreatedAt.UTC()
		sql += ` AND (i.created_at > ? OR (i.created_at = ? AND i.id > ?))`
		args = append(args, t, t, key.ID.String())
	}
	sql += ` ORDER BY i.created_at, i.id LIMIT ?`
	args = append(args, limit)
	var rows []invitationRecordRow
	if err := s.db.Conn(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list invitations of an address: %w", err)
	}
	out := make([]organizationsport.InvitationRecord, 0, len(rows))
	for _, r := range rows {
		rec, err := toRecord(r)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// FindInvitation implements organizationsport.Repository.
func (s *Store) FindInvitation(ctx context.Context, id uuid.UUID) (organizationsport.InvitationRecord, error) {
	return s.findInvitation(ctx, "i.id = ?", id.String())
}

// FindInvitationByToken implements organizationsport.Repository.
func (s *Store) FindInvitationByToken(ctx context.Context, h organizations.TokenHash) (organizationsport.InvitationRecord, error) {
	if h.IsZero() {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	return s.findInvitation(ctx, "i.token_hash = ?", h.Bytes())
}

func (s *Store) findInvitation(ctx context.Context, where string, arg any) (organizationsport.InvitationRecord, error) {
	var rows []invitationRecordRow
	if err := s.db.Conn(ctx).Raw(invitationRecordSelect+` WHERE `+where, arg).Scan(&rows).Error; err != nil {
		return organizationsport.InvitationRecord{}, fmt.Errorf("find invitation: %w", err)
	}
	if len(rows) == 0 {
		return organizationsport.InvitationRecord{}, organizations.ErrInvitationNotFound
	}
	return toRecord(rows[0])
}

func toRecord(r invitationRecordRow) (organizationsport.InvitationRecord, error) {
	inv, err := toInvitation(r.invitation())
	if err != nil {
		return organizationsport.InvitationRecord{}, err
	}
	org, err := uuid.Parse(r.OrganizationID)
	if err != nil {
		return organizationsport.InvitationRecord{}, fmt.Errorf("stored organization id %q: %w", r.OrganizationID, err)
	}
	return organizationsport.InvitationRecord{Organization: shared.OrganizationID(org), OrganizationName: r.OrganizationName, Invitation: inv}, nil
}

// ListForUser implements organizationsport.Repository.
func (s *Store) ListForUser(ctx context.Context, user shared.UserID, key *organizationsport.MembershipKey, limit int) ([]organizationsport.OrganizationSummary, error) {
	sql := `SELECT ` + summaryColumns + `
		FROM organization_memberships m
		JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = ? AND o.deleted_at IS NULL`
	args := []any{user.String()}
	if key != nil {
		t := key.JoinedAt.UTC()
		sql += ` AND (m.joined_at > ? OR (m.joined_at = ? AND m.organization_id > ?))`
		args = append(args, t, t, key.Organization.String())
	}
	sql += ` ORDER BY m.joined_at, m.organization_id LIMIT ?`
	args = append(args, limit)
	var rows []summaryRow
	if err := s.db.Conn(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list organizations of user: %w", err)
	}
	out := make([]organizationsport.OrganizationSummary, 0, len(rows))
	for _, r := range rows {
		sum, err := toSummary(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// OrganizationsOf implements organizationsport.Repository.
func (s *Store) OrganizationsOf(ctx context.Context, user shared.UserID) ([]shared.OrganizationID, error) {
	return s.ids(ctx, `SELECT m.organization_id FROM organization_memberships m
		JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = ? AND o.deleted_at IS NULL ORDER BY m.organization_id`, user.String())
}

func (s *Store) ids(ctx context.Context, sql string, arg any) ([]shared.OrganizationID, error) {
	var raw []string
	if err := s.db.Conn(ctx).Raw(sql, arg).Scan(&raw).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("list organization ids: %w", err)
	}
	out := make([]shared.OrganizationID, 0, len(raw))
	for _, r := range raw {
		id, err := uuid.Parse(r)
		if err != nil {
			return nil, fmt.Errorf("stored organization id %q: %w", r, err)
		}
		out = append(out, shared.OrganizationID(id))
	}
	return out, nil
}
