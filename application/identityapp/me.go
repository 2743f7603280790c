package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Me implements identityport.Service.
func (s *Service) Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error) {
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("me: %w", err)
	}
	return view(u), nil
}
