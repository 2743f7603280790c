// Package ssopg is the GORM adapter of the sso context's stores
// (PostgreSQL and SQLite, migration 00021): an organization's claimed
// domains and its identity-provider connections with the domains they
// route. The database keeps the rules a race could break: a name verified
// by one organization only (a partial unique index), a domain routed by one
// connection only (its primary key), and only a domain its organization
// claims (a foreign key, which also refuses removing a routed domain).
//
// Routing reads (FindVerified, FindByDomain) see only live organizations:
// a deleted organization keeps its rows, and a later verification of the
// same name by another organization first releases them.
//
// It imports GORM, pgstore, ports and the domain, never application/.
package ssopg

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// Store holds the sso stores on one database.
type Store struct{ db *pgstore.DB }

// New returns the store.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Domains returns the domain store.
func (s *Store) Domains() *Domains { return &Domains{db: s.db} }

// Connections returns the connection store.
func (s *Store) Connections() *Connections { return &Connections{db: s.db} }

// Domains implements ssoport.DomainRepository.
type Domains struct{ db *pgstore.DB }

var _ ssoport.DomainRepository = (*Domains)(nil)

type domainRow struct {
	ID             uuid.UUID  `gorm:"column:id;primaryKey"`
	OrganizationID uuid.UUID  `gorm:"column:organization_id"`
	Name           string     `gorm:"column:name"`
	Token          string     `gorm:"column:token"`
	CreatedAt      time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	VerifiedAt     *time.Time `gorm:"column:verified_at"`
}

func (domainRow) TableName() string { return "sso_domains" }

func toDomainRow(d *sso.Domain) domainRow {
	st := d.State()
	r := domainRow{ID: st.ID, OrganizationID: uuid.UUID(st.Organization), Name: st.Name, Token: st.Token, CreatedAt: st.CreatedAt.UTC()}
	if !st.VerifiedAt.IsZero() {
		t := st.VerifiedAt.UTC()
		r.VerifiedAt = &t
	}
	return r
}

func (r domainRow) domain() *sso.Domain {
	st := sso.DomainState{ID: r.ID, Organization: shared.OrganizationID(r.OrganizationID), Name: r.Name, Token: r.Token, CreatedAt: r.CreatedAt}
	if r.VerifiedAt != nil {
		st.VerifiedAt = *r.VerifiedAt
	}
	return sso.RehydrateDomain(st)
}

// liveOrg restricts a query on sso_* rows to live organizations.
const liveOrg = "organization_id IN (SELECT id FROM organizations WHERE deleted_at IS NULL)"

// Add implements ssoport.DomainRepository.
func (s *Domains) Add(ctx context.Context, d *sso.Domain) error {
	row := toDomainRow(d)
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return sso.ErrDomainExists.WithCause(err)
		}
		return fmt.Errorf("insert domain: %w", err)
	}
	return nil
}

// Get implements ssoport.DomainRepository.
func (s *Domains) Get(ctx context.Context, org shared.OrganizationID, name string) (*sso.Domain, error) {
	var row domainRow
	if err := s.db.Conn(ctx).Where("organization_id = ? AND name = ?", uuid.UUID(org), name).Take(&row).Error; err != nil {
		return nil, notFound(err, sso.ErrDomainNotFound, "get domain")
	}
	return row.domain(), nil
}

// List implements ssoport.DomainRepository: by name.
func (s *Domains) List(ctx context.Context, org shared.OrganizationID) ([]*sso.Domain, error) {
	var rows []domainRow
	if err := s.db.Conn(ctx).Where("organization_id = ?", uuid.UUID(org)).Order("name").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	out := make([]*sso.Domain, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Update implements ssoport.DomainRepository.
func (s *Domains) Update(ctx context.Context, org shared.OrganizationID, name string, fn func(*sso.Domain) error) (*sso.Domain, error) {
	var out *sso.Domain
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var row domainRow
		q := s.db.Conn(ctx).Where("organization_id = ? AND name = ?", uuid.UUID(org), name)
		if err := s.db.ForUpdate(q).Take(&row).Error; err != nil {
			return notFound(err, sso.ErrDomainNotFound, "lock domain")
		}
		d := row.domain()
		wasVerified := d.Verified()
		if err := fn(d); err != nil {
			return err
		}
		after := toDomainRow(d)
		if !wasVerified && d.Verified() {
			if err := s.releaseDeleted(ctx, name); err != nil {
				return err
			}
		}
		err := s.db.Conn(ctx).Model(&domainRow{}).Where("id = ?", row.ID).Update("verified_at", after.VerifiedAt).Error
		if err != nil {
			if pgstore.IsDuplicate(err) {
				return sso.ErrDomainTaken.WithCause(err)
			}
			return fmt.Errorf("save domain: %w", err)
		}
		out = d
		return nil
	})
	return out, err
}

// releaseDeleted removes the verified claims of name held by deleted
// organizations (and the connection routes through them), so the name can
// be verified again.
func (s *Domains) releaseDeleted(ctx context.Context, name string) error {
	dead := "organization_id IN (SELECT id FROM organizations WHERE deleted_at IS NOT NULL)"
	if err := s.db.Conn(ctx).Where("domain = ? AND "+dead, name).Delete(&connectionDomainRow{}).Error; err != nil {
		return fmt.Errorf("release routes of deleted organizations: %w", err)
	}
	if err := s.db.Conn(ctx).Where("name = ? AND verified_at IS NOT NULL AND "+dead, name).Delete(&domainRow{}).Error; err != nil {
		return fmt.Errorf("release claims of deleted organizations: %w", err)
	}
	return nil
}

// Delete implements ssoport.DomainRepository: a domain a connection routes
// is sso.ErrDomainInUse (the foreign key refuses it).
func (s *Domains) Delete(ctx context.Context, org shared.OrganizationID, name string) error {
	res := s.db.Conn(ctx).Where("organization_id = ? AND name = ?", uuid.UUID(org), name).Delete(&domainRow{})
	switch {
	case res.Error != nil && pgstore.IsForeignKeyViolation(res.Error):
		return sso.ErrDomainInUse.WithCause(res.Error)
	case res.Error != nil:
		return fmt.Errorf("delete domain: %w", res.Error)
	case res.RowsAffected == 0:
		return sso.ErrDomainNotFound
	}
	return nil
}

// FindVerified implements ssoport.DomainRepository.
func (s *Domains) FindVerified(ctx context.Context, name string) (*sso.Domain, error) {
	var row domainRow
	err := s.db.Conn(ctx).Where("name = ? AND verified_at IS NOT NULL AND "+liveOrg, name).Take(&row).Error
	if err != nil {
		return nil, notFound(err, sso.ErrDomainNotFound, "find verified domain")
	}
	return row.domain(), nil
}

func notFound(err error, nf error, what string) error {
	if pgstore.IsNotFound(err) {
		return nf
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Connections implements ssoport.ConnectionRepository.
type Connections struct{ db *pgstore.DB }

var _ ssoport.ConnectionRepository = (*Connections)(nil)

type connectionRow struct {
	ID             uuid.UUID `gorm:"column:id;primaryKey"`
	OrganizationID uuid.UUID `gorm:"column:organization_id"`
	Kind           string    `gorm:"column:kind"`
	Name           string    `gorm:"column:name"`
	DefaultRole    string    `gorm:"column:default_role"`
	Enforce        bool      `gorm:"column:enforce"`
	Enabled        bool      `gorm:"column:enabled"`
	// IdPEnforcesMFA is migration 00034's.
	IdPEnforcesMFA     bool   `gorm:"column:idp_enforces_mfa"`
	Issuer             string `gorm:"column:issuer"`
	ClientID           string `gorm:"column:client_id"`
	ClientSecretSealed string `gorm:"column:client_secret_sealed"`
	// The SAML settings (migration 00030).
	SAMLMetadataURL       string     `gorm:"column:saml_metadata_url"`
	SAMLMetadataXML       string     `gorm:"column:saml_metadata_xml"`
	SAMLIdPEntityID       string     `gorm:"column:saml_idp_entity_id"`
	SAMLAllowIdPInitiated bool       `gorm:"column:saml_allow_idp_initiated"`
	SAMLCertificate       string     `gorm:"column:saml_certificate"`
	SAMLSealedKey         string     `gorm:"column:saml_sealed_key"`
	SAMLCertificateAt     *time.Time `gorm:"column:saml_certificate_rotated_at"`
	CreatedAt             time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt             time.Time  `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (connectionRow) TableName() string { return "sso_connections" }

type connectionDomainRow struct {
	Domain         string    `gorm:"column:domain;primaryKey"`
	ConnectionID   uuid.UUID `gorm:"column:connection_id"`
	OrganizationID uuid.UUID `gorm:"column:organization_id"`
}

func (connectionDomainRow) TableName() string { return "sso_connection_domains" }

func toConnectionRow(c *sso.Connection) connectionRow {
	st := c.State()
	r := connectionRow{
		ID: st.ID, OrganizationID: uuid.UUID(st.Organization), Kind: st.Kind.String(), Name: st.Name, DefaultRole: st.DefaultRole.String(),
		Enforce: st.Enforce, Enabled: !st.Disabled, IdPEnforcesMFA: st.IdPEnforcesMFA, Issuer: st.OIDC.Issuer, ClientID: st.OIDC.ClientID, ClientSecretSealed: st.OIDC.SealedSecret,
		SAMLMetadataURL: st.SAML.MetadataURL, SAMLMetadataXML: st.SAML.MetadataXML, SAMLIdPEntityID: st.SAML.IdPEntityID,
		SAMLAllowIdPInitiated: st.SAML.AllowIdPInitiated, SAMLCertificate: st.SAML.Certificate, SAMLSealedKey: st.SAML.SealedKey,
		CreatedAt: st.CreatedAt.UTC(), UpdatedAt: st.UpdatedAt.UTC(),
	}
	if t := st.SAML.CertificateRotatedAt; !t.IsZero() {
		t = t.UTC()
		r.SAMLCertificateAt = &t
	}
	return r
}

func (r connectionRow) connection(domains []string) (*sso.Connection, error) {
	kind, err := sso.ParseKind(r.Kind)
	if err != nil {
		return nil, fmt.Errorf("stored connection %s: %w", r.ID, err)
	}
	role, err := sso.ParseRole(r.DefaultRole)
	if err != nil {
		return nil, fmt.Errorf("stored connection %s: %w", r.ID, err)
	}
	var rotated time.Time
	if r.SAMLCertificateAt != nil {
		rotated = *r.SAMLCertificateAt
	}
	return sso.RehydrateConnection(sso.ConnectionState{
		ID: r.ID, Organization: shared.OrganizationID(r.OrganizationID), Kind: kind, Name: r.Name, Domains: domains, DefaultRole: role,
		Enforce: r.Enforce, IdPEnforcesMFA: r.IdPEnforcesMFA, Disabled: !r.Enabled, OIDC: sso.OIDCSettings{Issuer: r.Issuer, ClientID: r.ClientID, SealedSecret: r.ClientSecretSealed},
		SAML: sso.SAMLSettings{MetadataURL: r.SAMLMetadataURL, MetadataXML: r.SAMLMetadataXML, IdPEntityID: r.SAMLIdPEntityID,
			AllowIdPInitiated: r.SAMLAllowIdPInitiated, Certificate: r.SAMLCertificate, SealedKey: r.SAMLSealedKey, CertificateRotatedAt: rotated},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}), nil
}

// Add implements ssoport.ConnectionRepository.
func (s *Connections) Add(ctx context.Context, c *sso.Connection) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		row := toConnectionRow(c)
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("insert connection: %w", err)
		}
		return s.route(ctx, c)
	})
}

// route writes c's domain rows.
func (s *Connections) route(ctx context.Context, c *sso.Connection) error {
	rows := make([]connectionDomainRow, 0, len(c.Domains()))
	for _, d := range c.Domains() {
		rows = append(rows, connectionDomainRow{Domain: d, ConnectionID: c.ID(), OrganizationID: uuid.UUID(c.Organization())})
	}
	if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
		switch {
		case pgstore.IsDuplicate(err):
			return sso.ErrDomainRouted.WithCause(err)
		case pgstore.IsForeignKeyViolation(err):
			return sso.ErrDomainNotVerified
		}
		return fmt.Errorf("insert connection domains: %w", err)
	}
	return nil
}

func (s *Connections) domainsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]string, error) {
	var rows []connectionDomainRow
	if err := s.db.Conn(ctx).Where("connection_id IN ?", ids).Order("domain").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read connection domains: %w", err)
	}
	out := map[uuid.UUID][]string{}
	for _, r := range rows {
		out[r.ConnectionID] = append(out[r.ConnectionID], r.Domain)
	}
	return out, nil
}

func (s *Connections) hydrate(ctx context.Context, rows []connectionRow) ([]*sso.Connection, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	domains, err := s.domainsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*sso.Connection, 0, len(rows))
	for _, r := range rows {
		c, err := r.connection(domains[r.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Connections) one(ctx context.Context, rows []connectionRow, err error) (*sso.Connection, error) {
	if err != nil {
		return nil, fmt.Errorf("read connection: %w", err)
	}
	if len(rows) == 0 {
		return nil, sso.ErrConnectionNotFound
	}
	list, err := s.hydrate(ctx, rows)
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// Get implements ssoport.ConnectionRepository.
func (s *Connections) Get(ctx context.Context, id uuid.UUID) (*sso.Connection, error) {
	var rows []connectionRow
	err := s.db.Conn(ctx).Where("id = ? AND "+liveOrg, id).Limit(1).Find(&rows).Error
	return s.one(ctx, rows, err)
}

// List implements ssoport.ConnectionRepository: oldest first.
func (s *Connections) List(ctx context.Context, org shared.OrganizationID) ([]*sso.Connection, error) {
	var rows []connectionRow
	if err := s.db.Conn(ctx).Where("organization_id = ?", uuid.UUID(org)).Order("created_at, id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return s.hydrate(ctx, rows)
}

// Update implements ssoport.ConnectionRepository.
func (s *Connections) Update(ctx context.Context, id uuid.UUID, fn func(*sso.Connection) error) (*sso.Connection, error) {
	var out *sso.Connection
	err := s.db.Transaction(ctx, func(ctx context.Context) error {
		var rows []connectionRow
		err := s.db.ForUpdate(s.db.Conn(ctx).Where("id = ? AND "+liveOrg, id)).Limit(1).Find(&rows).Error
		c, err := s.one(ctx, rows, err)
		if err != nil {
			return err
		}
		before := c.Domains()
		if err := fn(c); err != nil {
			return err
		}
		row := toConnectionRow(c)
		if err := s.db.Conn(ctx).Model(&connectionRow{}).Where("id = ?", id).Updates(map[string]any{
			"name": row.Name, "default_role": row.DefaultRole, "enforce": row.Enforce, "enabled": row.Enabled, "issuer": row.Issuer,
			"idp_enforces_mfa": row.IdPEnforcesMFA,
			"client_id":        row.ClientID, "client_secret_sealed": row.ClientSecretSealed, "updated_at": row.UpdatedAt,
			"saml_metadata_url": row.SAMLMetadataURL, "saml_metadata_xml": row.SAMLMetadataXML, "saml_idp_entity_id": row.SAMLIdPEntityID,
			"saml_allow_idp_initiated": row.SAMLAllowIdPInitiated, "saml_certificate": row.SAMLCertificate,
			"saml_sealed_key": row.SAMLSealedKey, "saml_certificate_rotated_at": row.SAMLCertificateAt,
		}).Error; err != nil {
			return fmt.Errorf("save connection: %w", err)
		}
		if !equal(before, c.Domains()) {
			if err := s.db.Conn(ctx).Where("connection_id = ?", id).Delete(&connectionDomainRow{}).Error; err != nil {
				return fmt.Errorf("replace connection domains: %w", err)
			}
			if err := s.route(ctx, c); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Delete implements ssoport.ConnectionRepository.
func (s *Connections) Delete(ctx context.Context, id uuid.UUID) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Where("connection_id = ?", id).Delete(&connectionDomainRow{}).Error; err != nil {
			return fmt.Errorf("delete connection domains: %w", err)
		}
		res := s.db.Conn(ctx).Where("id = ?", id).Delete(&connectionRow{})
		if res.Error != nil {
			return fmt.Errorf("delete connection: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return sso.ErrConnectionNotFound
		}
		return nil
	})
}

// FindByDomain implements ssoport.ConnectionRepository.
func (s *Connections) FindByDomain(ctx context.Context, name string) (*sso.Connection, error) {
	var route connectionDomainRow
	err := s.db.Conn(ctx).Where("domain = ? AND "+liveOrg, name).Take(&route).Error
	if err != nil {
		return nil, notFound(err, sso.ErrConnectionNotFound, "find connection by domain")
	}
	return s.Get(ctx, route.ConnectionID)
}

// RoutesDomain implements ssoport.ConnectionRepository.
func (s *Connections) RoutesDomain(ctx context.Context, org shared.OrganizationID, name string) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&connectionDomainRow{}).Where("domain = ? AND organization_id = ?", name, uuid.UUID(org)).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("count connection routes: %w", err)
	}
	return n > 0, nil
}
