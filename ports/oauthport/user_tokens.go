package oauthport

import (
	"context"

	"github.com/secuird/authy/domain/shared"
)

// UserTokens is what other contexts ask of the OpenID Provider about a
// user's grants.
//
// RevokeUserTokens ends every grant issued to the user (the tokens whose
// subject is the user): access tokens are deleted, refresh tokens made
// inactive, so neither introspects as active nor refreshes again. It joins
// the transaction ctx carries and returns how many tokens it ended. A JWT
// access token already handed out stays verifiable by its signature until
// it expires (OAUTH_ACCESS_TOKEN_TTL); introspection refuses it at once.
type UserTokens interface {
	RevokeUserTokens(ctx context.Context, user shared.UserID) (int, error)
}

// SubjectTokens is the token store's side of UserTokens.
//
// Contract (checked by oauthporttest.TokenStoreContract): RevokeSubject
// deletes the access tokens and deactivates the refresh tokens whose
// subject is subject, leaves every other row as it was, and returns how
// many rows it changed.
type SubjectTokens interface {
	RevokeSubject(ctx context.Context, subject string) (int, error)
}
