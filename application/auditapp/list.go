package auditapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/organizationsport"
)

// Roles that may read an organization's audit log.
const (
	roleOwner = "owner"
	roleAdmin = "admin"
)

// Reader serves the read API.
type Reader struct {
	store  auditport.Store
	access organizationsport.Access
}

// NewReader returns the read API over store, asking access for callers'
// roles in organizations.
func NewReader(store auditport.Store, access organizationsport.Access) *Reader {
	return &Reader{store: store, access: access}
}

var _ auditport.Reader = (*Reader)(nil)

// ListForUser implements auditport.Reader.
func (r *Reader) ListForUser(ctx context.Context, user shared.UserID, req auditport.ListRequest) (auditport.Page, error) {
	q, limit, err := listQuery(req)
	if err != nil {
		return auditport.Page{}, err
	}
	q.Subject = user
	return r.page(ctx, q, limit)
}

// ListForOrganization implements auditport.Reader. Authorization comes
// first, so a non-member learns nothing, not even that a filter is invalid.
func (r *Reader) ListForOrganization(ctx context.Context, caller shared.UserID, org shared.OrganizationID, req auditport.ListRequest) (auditport.Page, error) {
	role, err := r.access.MemberRole(ctx, org, caller)
	switch {
	case shared.KindOf(err) == shared.KindNotFound:
		return auditport.Page{}, audit.ErrOrganizationNotFound
	case err != nil:
		return auditport.Page{}, fmt.Errorf("organization role: %w", err)
	case role != roleOwner && role != roleAdmin:
		return auditport.Page{}, audit.ErrForbidden
	}
	q, limit, err := listQuery(req)
	if err != nil {
		return auditport.Page{}, err
	}
	q.Organization = org
	return r.page(ctx, q, limit)
}

func (r *Reader) page(ctx context.Context, q auditport.Query, limit int) (auditport.Page, error) {
	recs, err := r.store.List(ctx, q)
	if err != nil {
		return auditport.Page{}, fmt.Errorf("list audit records: %w", err)
	}
	page := auditport.Page{Limit: limit, Items: make([]auditport.RecordView, 0, min(len(recs), limit))}
	if len(recs) > limit {
		recs = recs[:limit]
		page.NextCursor = audit.EncodeCursor(recs[limit-1].Position())
	}
	for _, rec := range recs {
		page.Items = append(page.Items, view(rec))
	}
	return page, nil
}
