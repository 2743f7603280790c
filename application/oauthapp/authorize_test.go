package oauthapp_test

import (
	"testing"
	"time"

	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/sessionsport"
)

func TestSessionSuffices_PromptLoginWantsASignInAfterTheRequestAndMaxAgeARecentOne(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	signedIn := sessionsport.Principal{AuthTime: now.Add(-10 * time.Minute), Method: sessionsport.MethodPassword}
	for _, tc := range []struct {
		name string
		req  oauthport.AuthorizeRequest
		want bool
	}{
		{"no demand", oauthport.AuthorizeRequest{ArrivedAt: now}, true},
		{"prompt=login, signed in before the request", oauthport.AuthorizeRequest{Prompt: []string{"login"}, ArrivedAt: now.Add(-time.Minute)}, false},
		{"prompt=login, signed in after the request arrived", oauthport.AuthorizeRequest{Prompt: []string{"login"}, ArrivedAt: now.Add(-20 * time.Minute)}, true},
		{"prompt=login, signed in earlier within the request's second", oauthport.AuthorizeRequest{Prompt: []string{"login"}, ArrivedAt: signedIn.AuthTime.Add(300 * time.Millisecond)}, false},
		{"prompt=login, signed in later within the request's second", oauthport.AuthorizeRequest{Prompt: []string{"login"}, ArrivedAt: signedIn.AuthTime.Add(-300 * time.Millisecond)}, true},
		{"max_age longer than the session's age", oauthport.AuthorizeRequest{HasMaxAge: true, MaxAge: time.Hour, ArrivedAt: now}, true},
		{"max_age shorter than the session's age", oauthport.AuthorizeRequest{HasMaxAge: true, MaxAge: 5 * time.Minute, ArrivedAt: now}, false},
		{"max_age=0, signed in before the request", oauthport.AuthorizeRequest{HasMaxAge: true, ArrivedAt: now}, false},
		{"max_age=0, signed in after the request arrived", oauthport.AuthorizeRequest{HasMaxAge: true, ArrivedAt: signedIn.AuthTime.Add(-time.Second)}, true},
		{"acr_values mfa, a one-factor session from before the request", oauthport.AuthorizeRequest{ACRValues: []string{"urn:authy:acr:mfa"}, ArrivedAt: now}, false},
		{"acr_values mfa, a one-factor sign-in after the request (no factor to ask)", oauthport.AuthorizeRequest{ACRValues: []string{"urn:authy:acr:mfa"}, ArrivedAt: signedIn.AuthTime.Add(-time.Second)}, true},
		{"acr_values 1fa only", oauthport.AuthorizeRequest{ACRValues: []string{"urn:authy:acr:1fa"}, ArrivedAt: now}, true},
		{"max_age measured when the request arrived, not now", oauthport.AuthorizeRequest{HasMaxAge: true, MaxAge: 5 * time.Minute, ArrivedAt: signedIn.AuthTime.Add(4 * time.Minute)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := oauthapp.SessionSuffices(signedIn, tc.req); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestACR_OneFactorUnlessTheSessionsMethodNamesMFA(t *testing.T) {
	mfa, err := sessionsport.ParseAuthMethod("mfa", []string{"pwd", "otp", "mfa"})
	if err != nil {
		t.Fatal(err)
	}
	if got := oauthapp.ACR(sessionsport.MethodPassword); got != oauthport.ACRSingleFactor {
		t.Fatalf("password: %s", got)
	}
	if got := oauthapp.ACR(mfa); got != oauthport.ACRMultiFactor {
		t.Fatalf("mfa: %s", got)
	}
}

func TestSessionSuffices_AMultiFactorSessionMeetsACRValuesMFA(t *testing.T) {
	mfa, err := sessionsport.ParseAuthMethod("mfa", []string{"pwd", "otp", "mfa"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p := sessionsport.Principal{AuthTime: now.Add(-time.Hour), Method: mfa}
	if !oauthapp.SessionSuffices(p, oauthport.AuthorizeRequest{ACRValues: []string{"urn:authy:acr:mfa"}, ArrivedAt: now}) {
		t.Fatal("a multi-factor session was asked to sign in again")
	}
}
