package oauthapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

// UserTokens implements oauthport.UserTokens on the token store: the
// subject of a user's tokens is their user id.
type UserTokens struct{ store oauthport.SubjectTokens }

var _ oauthport.UserTokens = UserTokens{}

// NewUserTokens returns the revoker on store.
func NewUserTokens(store oauthport.SubjectTokens) (UserTokens, error) {
	if store == nil {
		return UserTokens{}, errors.New("oauthapp: the token store is required")
	}
	return UserTokens{store: store}, nil
}

// RevokeUserTokens implements oauthport.UserTokens.
func (u UserTokens) RevokeUserTokens(ctx context.Context, user shared.UserID) (int, error) {
	if user.IsZero() {
		return 0, nil
	}
	n, err := u.store.RevokeSubject(ctx, user.String())
	if err != nil {
		return 0, fmt.Errorf("revoke the tokens of a user: %w", err)
	}
	return n, nil
}
