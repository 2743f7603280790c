package ssoidp

import (
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/ssoport"
)

func federationRequest(r ssoport.AuthRequest) federationport.AuthRequest {
	return federationport.AuthRequest{State: r.State, Nonce: r.Nonce, Verifier: r.Verifier}
}

func exchangeRequest(code string, r ssoport.AuthRequest) federationport.ExchangeRequest {
	return federationport.ExchangeRequest{Code: code, Nonce: r.Nonce, Verifier: r.Verifier}
}
