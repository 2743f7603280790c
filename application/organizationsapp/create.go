package organizationsapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// slugAttempts bounds the tries with a random suffix when a derived slug is
// taken; six hex digits make a second collision unlikely already.
const slugAttempts = 5

// Create implements organizationsport.Service.
func (s *Service) Create(ctx context.Context, cmd organizationsport.CreateCommand) (organizationsport.OrganizationView, error) {
	var (
		slug    organizations.Slug
		derived = cmd.Slug == nil
		err     error
	)
	if derived {
		slug = organizations.DeriveSlug(cmd.Name)
	} else if slug, err = organizations.ParseSlug(*cmd.Slug); err != nil {
		return organizationsport.OrganizationView{}, err
	}
	now := s.now()
	candidate := slug
	for attempt := 1; ; attempt++ {
		org, err := organizations.NewOrganization(shared.OrganizationID(s.newID()), cmd.Name, candidate, cmd.Actor, now)
		if err != nil {
			return organizationsport.OrganizationView{}, err
		}
		err = s.uow.Transaction(ctx, func(ctx context.Context) error {
			if err := s.repo.Create(ctx, org); err != nil {
				return err
			}
			return s.record(ctx, org.PullEvents())
		})
		if err == nil {
			return viewOf(org, cmd.Actor), nil
		}
		if !derived || !errors.Is(err, organizations.ErrSlugTaken) || attempt == slugAttempts {
			return organizationsport.OrganizationView{}, fmt.Errorf("create organization: %w", err)
		}
		suffix := s.newID().String()[:6]
		if candidate, err = slug.WithSuffix(suffix); err != nil {
			return organizationsport.OrganizationView{}, fmt.Errorf("suffix slug: %w", err)
		}
	}
}
