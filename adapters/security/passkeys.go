package security

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
)

// PasskeyCeremonies makes passkey ceremony tokens: 32 bytes from
// crypto/rand in unpadded URL-safe base64, stored only as their SHA-256.
type PasskeyCeremonies struct{}

var _ passkeyport.CeremonyTokens = PasskeyCeremonies{}

// New implements passkeyport.CeremonyTokens.
func (PasskeyCeremonies) New() (string, passkey.TokenHash, error) {
	token, err := randomToken()
	if err != nil {
		return "", passkey.TokenHash{}, err
	}
	return token, PasskeyCeremonies{}.Hash(token), nil
}

// Hash implements passkeyport.CeremonyTokens.
func (PasskeyCeremonies) Hash(token string) passkey.TokenHash {
	return digestAs(token, func(b []byte) (passkey.TokenHash, error) { return passkey.TokenHash(b), nil })
}

// RelyingParty is the WebAuthn relying party (go-webauthn) of one public
// URL: its host is the relying party id and its origin the only origin
// accepted. Ceremonies ask for no attestation ("none"), prefer a
// discoverable credential and user verification, and offer ES256, EdDSA
// and RS256 keys (the library's defaults). A PUBLIC_URL whose host is an
// IP address (a relying party id must be a domain) disables it.
type RelyingParty struct {
	wa      *webauthn.WebAuthn
	timeout time.Duration
}

var _ passkeyport.RelyingParty = (*RelyingParty)(nil)

// NewRelyingParty builds the relying party of publicURL, named name in
// authenticators' prompts. An IP address host gives a disabled one; a URL
// that is not absolute http(s) is an error.
func NewRelyingParty(publicURL, name string) (*RelyingParty, error) {
	u, err := url.Parse(strings.TrimSpace(publicURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("passkeys: PUBLIC_URL %q is not an absolute http(s) URL", publicURL)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return &RelyingParty{}, nil
	}
	timeout := passkey.CeremonyTTL
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  host,
		RPDisplayName:         name,
		RPOrigins:             []string{u.Scheme + "://" + strings.ToLower(u.Host)},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: timeout, TimeoutUVD: timeout},
			Registration: webauthn.TimeoutConfig{Timeout: timeout, TimeoutUVD: timeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &RelyingParty{wa: wa, timeout: timeout}, nil
}

// Enabled implements passkeyport.RelyingParty.
func (r *RelyingParty) Enabled() bool { return r.wa != nil }

// waUser is an account with the credentials a ceremony considers.
type waUser struct {
	a     passkeyport.Account
	creds []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte {
	id := uuid.UUID(u.a.ID)
	return id[:]
}
func (u waUser) WebAuthnName() string                       { return u.a.Name }
func (u waUser) WebAuthnDisplayName() string                { return u.a.DisplayName }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func toWA(c *passkey.Credential) webauthn.Credential {
	ts := c.Transports()
	transports := make([]protocol.AuthenticatorTransport, len(ts))
	for i, t := range ts {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.CredentialID(), PublicKey: c.PublicKey(), AttestationFormat: c.AttestationFormat(), Transport: transports,
		Flags: webauthn.CredentialFlags{
			UserPresent: true, UserVerified: c.UserVerified(), BackupEligible: c.BackupEligible(), BackupState: c.BackupState(),
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID(), SignCount: c.SignCount()},
	}
}

func (r *RelyingParty) encode(options any, session *webauthn.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fmt.Errorf("encode passkey options: %w", err)
	}
	s, err := json.Marshal(session)
	if err != nil {
		return nil, nil, fmt.Errorf("encode passkey ceremony: %w", err)
	}
	return o, s, nil
}

func decodeSession(state []byte) (webauthn.SessionData, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal(state, &s); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("read passkey ceremony: %w", err)
	}
	return s, nil
}

// BeginRegistration implements passkeyport.RelyingParty.
func (r *RelyingParty) BeginRegistration(a passkeyport.Account, exclude []*passkey.Credential) ([]byte, []byte, error) {
	if r.wa == nil {
		return nil, nil, passkey.ErrUnavailable
	}
	descriptors := make([]protocol.CredentialDescriptor, 0, len(exclude))
	for _, c := range exclude {
		wc := toWA(c)
		descriptors = append(descriptors, wc.Descriptor())
	}
	creation, session, err := r.wa.BeginRegistration(waUser{a: a}, webauthn.WithExclusions(descriptors),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		return nil, nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	return r.encode(creation, session)
}

// FinishRegistration implements passkeyport.RelyingParty.
func (r *RelyingParty) FinishRegistration(a passkeyport.Account, state, response []byte) (passkey.Registered, error) {
	if r.wa == nil {
		return passkey.Registered{}, passkey.ErrUnavailable
	}
	session, err := decodeSession(state)
	if err != nil {
		return passkey.Registered{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return passkey.Registered{}, passkey.ErrAttestationInvalid.WithCause(libraryError(err))
	}
	cred, err := r.wa.CreateCredential(waUser{a: a}, session, parsed)
	if err != nil {
		return passkey.Registered{}, passkey.ErrAttestationInvalid.WithCause(libraryError(err))
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	return passkey.Registered{
		CredentialID: cred.ID, PublicKey: cred.PublicKey, AAGUID: cred.Authenticator.AAGUID, Transports: transports,
		AttestationFormat: cred.AttestationFormat, SignCount: cred.Authenticator.SignCount,
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
	}, nil
}

// BeginLogin implements passkeyport.RelyingParty.
func (r *RelyingParty) BeginLogin() ([]byte, []byte, error) {
	if r.wa == nil {
		return nil, nil, passkey.ErrUnavailable
	}
	assertion, session, err := r.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	return r.encode(assertion, session)
}

// errLookup carries the store's answer out of the library's handler, so a
// store that cannot answer is not taken for a bad assertion.
type errLookup struct{ err error }

func (e errLookup) Error() string { return e.err.Error() }
func (e errLookup) Unwrap() error { return e.err }

// FinishLogin implements passkeyport.RelyingParty.
func (r *RelyingParty) FinishLogin(state, response []byte, find func(credentialID []byte, user shared.UserID) (*passkey.Credential, error)) (passkeyport.Login, error) {
	if r.wa == nil {
		return passkeyport.Login{}, passkey.ErrUnavailable
	}
	session, err := decodeSession(state)
	if err != nil {
		return passkeyport.Login{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return passkeyport.Login{}, passkey.ErrAssertionInvalid.WithCause(libraryError(err))
	}
	var stored *passkey.Credential
	var lookupErr error
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		id, err := uuid.FromBytes(userHandle)
		if err != nil {
			return nil, passkey.ErrNotFound
		}
		c, err := find(rawID, shared.UserID(id))
		if err != nil {
			lookupErr = err
			return nil, errLookup{err}
		}
		stored = c
		return waUser{a: passkeyport.Account{ID: c.User()}, creds: []webauthn.Credential{toWA(c)}}, nil
	}
	if _, _, err := r.wa.ValidatePasskeyLogin(handler, session, parsed); err != nil {
		if lookupErr != nil && !errors.Is(lookupErr, passkey.ErrNotFound) {
			return passkeyport.Login{}, lookupErr
		}
		return passkeyport.Login{}, passkey.ErrAssertionInvalid.WithCause(libraryError(err))
	}
	flags := parsed.Response.AuthenticatorData.Flags
	return passkeyport.Login{Credential: stored, Assertion: passkey.Assertion{
		SignCount: parsed.Response.AuthenticatorData.Counter, UserVerified: flags.HasUserVerified(),
		BackupEligible: flags.HasBackupEligible(), BackupState: flags.HasBackupState(),
	}}, nil
}

// libraryError keeps the library's details (what failed) for the log.
func libraryError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %s (%s)", pe.Type, pe.Details, pe.DevInfo)
	}
	return err
}
