package federationapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/sessionsport"
)

var _ federationport.LoginCodeIssuer = (*Service)(nil)

// IssueLoginCode implements federationport.LoginCodeIssuer.
func (s *Service) IssueLoginCode(ctx context.Context, user shared.UserID, method string, amr []string) (string, error) {
	m, err := sessionsport.ParseAuthMethod(method, amr)
	if err != nil {
		return "", err
	}
	code, err := s.newSecret()
	if err != nil {
		return "", fmt.Errorf("issue login code: %w", err)
	}
	lc, err := federation.IssueLoginCode(digest(code), user, m.Name(), m.AMR(), s.now())
	if err != nil {
		return "", err
	}
	if err := s.codes.Put(ctx, lc); err != nil {
		return "", fmt.Errorf("issue login code: %w", err)
	}
	return code, nil
}
