// Package oauthpg is the GORM adapter of the oauth context, on PostgreSQL
// and on the embedded SQLite file alike (migrations/*/00016_oauth_provider.sql):
// the client repository, the key repository and the protocol library's
// token storage (fosite's storage interfaces with storage.Transactional),
// whose rows are keyed by token signature and tied by request id.
//
// Every query goes through pgstore.DB.Conn(ctx), so the stores join the
// unit of work their caller opened (a client change and its audit record; a
// refresh token rotation with the tokens it issues). It imports GORM,
// pgstore, the protocol library, ports and the oauth domain; never
// application/ or another adapter family.
package oauthpg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

type clientRow struct {
	ID                       string     `gorm:"column:id;primaryKey"`
	OrganizationID           string     `gorm:"column:organization_id"`
	Name                     string     `gorm:"column:name"`
	RedirectURIs             string     `gorm:"column:redirect_uris"`
	PostLogoutRedirectURIs   string     `gorm:"column:post_logout_redirect_uris"`
	GrantTypes               string     `gorm:"column:grant_types"`
	TokenEndpointAuthMethod  string     `gorm:"column:token_endpoint_auth_method"`
	Scopes                   string     `gorm:"column:scopes"`
	FirstParty               bool       `gorm:"column:first_party"`
	AccessTokenFormat        string     `gorm:"column:access_token_format"`
	ResourceServer           bool       `gorm:"column:resource_server"`
	IDTokenSignedResponseAlg string     `gorm:"column:id_token_signed_response_alg"`
	SecretHash               string     `gorm:"column:secret_hash"`
	PreviousSecretHash       string     `gorm:"column:previous_secret_hash"`
	PreviousSecretExpiresAt  *time.Time `gorm:"column:previous_secret_expires_at"`
	CreatedAt                time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt                time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (clientRow) TableName() string { return "oauth_clients" }

// Lists are stored space-separated: a redirect URI, a grant and a scope
// never contain a space (the domain refuses them).
func join(s []string) string { return strings.Join(s, " ") }

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, " ")
}

func toClientRow(c *oauth.Client) clientRow {
	spec := c.Spec()
	r := clientRow{
		ID: c.ID().String(), OrganizationID: c.Organization().String(), Name: spec.Name,
		RedirectURIs: join(spec.RedirectURIs), PostLogoutRedirectURIs: join(spec.PostLogoutRedirectURIs),
		GrantTypes: join(spec.GrantTypes), TokenEndpointAuthMethod: spec.TokenEndpointAuthMethod,
		Scopes: join(spec.Scopes), FirstParty: spec.FirstParty, AccessTokenFormat: spec.AccessTokenFormat,
		ResourceServer: spec.ResourceServer, IDTokenSignedResponseAlg: spec.IDTokenSignedResponseAlg, SecretHash: c.Secret().String(), PreviousSecretHash: c.PreviousSecret().String(),
		CreatedAt: c.CreatedAt().UTC(), UpdatedAt: c.UpdatedAt().UTC(),
	}
	if t := c.PreviousSecretExpiresAt(); !t.IsZero() {
		t = t.UTC()
		r.PreviousSecretExpiresAt = &t
	}
	return r
}

func (r clientRow) client() (*oauth.Client, error) {
	id, reason := oauth.ParseClientID(r.ID)
	if reason != "" {
		return nil, fmt.Errorf("stored client %q: id %s", r.ID, reason)
	}
	org, err := shared.ParseOrganizationID(r.OrganizationID)
	if err != nil {
		return nil, fmt.Errorf("stored client %q: organization id: %w", r.ID, err)
	}
	spec := oauth.ClientSpec{
		Name: r.Name, RedirectURIs: split(r.RedirectURIs), PostLogoutRedirectURIs: split(r.PostLogoutRedirectURIs),
		GrantTypes: split(r.GrantTypes), TokenEndpointAuthMethod: r.TokenEndpointAuthMethod, Scopes: split(r.Scopes),
		FirstParty: r.FirstParty, AccessTokenFormat: r.AccessTokenFormat, ResourceServer: r.ResourceServer,
		IDTokenSignedResponseAlg: r.IDTokenSignedResponseAlg,
	}
	var prevExp time.Time
	if r.PreviousSecretExpiresAt != nil {
		prevExp = *r.PreviousSecretExpiresAt
	}
	c, err := oauth.RehydrateClient(id, org, spec, oauth.NewSecretHash(r.SecretHash), oauth.NewSecretHash(r.PreviousSecretHash),
		prevExp, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("stored client %q no longer validates: %w", r.ID, err)
	}
	return c, nil
}

// Clients is the GORM client repository. Every method joins the unit of
// work (the database transaction) carried by ctx.
type Clients struct {
	db *pgstore.DB
}

var _ oauthport.ClientRepository = (*Clients)(nil)

// NewClients returns the client repository on db.
func NewClients(db *pgstore.DB) *Clients { return &Clients{db: db} }

// liveOrganization keeps clients whose organization was not deleted: a
// deleted organization's clients answer like unknown ones.
const liveOrganization = "organization_id IN (SELECT id FROM organizations WHERE deleted_at IS NULL)"

// Create implements oauthport.ClientRepository.
func (s *Clients) Create(ctx context.Context, c *oauth.Client) error {
	r := toClientRow(c)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return oauth.ErrClientIDTaken.WithCause(err)
		}
		return fmt.Errorf("insert OAuth client: %w", err)
	}
	return nil
}

// Get implements oauthport.ClientRepository.
func (s *Clients) Get(ctx context.Context, id oauth.ClientID) (*oauth.Client, error) {
	var r clientRow
	if err := s.db.Conn(ctx).Where("id = ? AND "+liveOrganization, id.String()).Take(&r).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, oauth.ErrClientNotFound
		}
		return nil, fmt.Errorf("read OAuth client: %w", err)
	}
	return r.client()
}

// Update implements oauthport.ClientRepository. Deleting a client deletes
// its tokens through the foreign key (ON DELETE CASCADE).
func (s *Clients) Update(ctx context.Context, id oauth.ClientID, fn func(*oauth.Client) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		var r clientRow
		if err := s.db.ForUpdate(conn.Where("id = ? AND "+liveOrganization, id.String())).Take(&r).Error; err != nil {
			if pgstore.IsNotFound(err) {
				return oauth.ErrClientNotFound
			}
			return fmt.Errorf("lock OAuth client: %w", err)
		}
		c, err := r.client()
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if c.Deleted() {
			if err := conn.Where("id = ?", r.ID).Delete(&clientRow{}).Error; err != nil {
				return fmt.Errorf("delete OAuth client: %w", err)
			}
			return nil
		}
		next := toClientRow(c)
		if err := conn.Model(&clientRow{}).Where("id = ?", r.ID).Select("*").Omit("id", "organization_id", "created_at").Updates(&next).Error; err != nil {
			return fmt.Errorf("save OAuth client: %w", err)
		}
		return nil
	})
}

// List implements oauthport.ClientRepository.
func (s *Clients) List(ctx context.Context, org shared.OrganizationID, after *oauthport.ClientKey, limit int) ([]*oauth.Client, error) {
	q := s.db.Conn(ctx).Where("organization_id = ?", org.String())
	if after != nil {
		at := after.CreatedAt.UTC()
		q = q.Where("(created_at > ? OR (created_at = ? AND id > ?))", at, at, after.ID)
	}
	var rows []clientRow
	if err := q.Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list OAuth clients: %w", err)
	}
	out := make([]*oauth.Client, 0, len(rows))
	for _, r := range rows {
		c, err := r.client()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
