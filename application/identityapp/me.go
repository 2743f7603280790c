package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Me implements identityport.Service: the user's view from the repository's
// Profile, which a caching repository answers from its profile cache (and
// keeps current after every change it saves).
func (s *Service) Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error) {
	v, err := s.users.Profile(ctx, p.UserID)
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("me: %w", err)
	}
	return v, nil
}
