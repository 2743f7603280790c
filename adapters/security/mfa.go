package security

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/platformport"
)

// TOTP parameters: RFC 6238's defaults, the only ones every authenticator
// app reads from an otpauth:// URI.
const (
	totpPeriod     = 30
	totpDigits     = otp.DigitsSix
	totpSecretSize = 20 // 160 bits, RFC 4226's recommendation for SHA-1
)

// TOTPCodes implements mfaport.TOTPCodes with github.com/pquerna/otp.
type TOTPCodes struct{}

var _ mfaport.TOTPCodes = TOTPCodes{}

// Generate implements mfaport.TOTPCodes.
func (TOTPCodes) Generate(issuer, account string) (string, string, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: totpPeriod, SecretSize: totpSecretSize,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader,
	})
	if err != nil {
		return "", "", fmt.Errorf("generate TOTP key: %w", err)
	}
	return key.Secret(), key.URL(), nil
}

// Match implements mfaport.TOTPCodes: the step of at first, then the one
// before (a code typed just as it rolled over) and the one after (a clock
// slightly ahead). Every candidate is compared, so the time taken does not
// tell which matched.
func (TOTPCodes) Match(secret, code string, at time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != int(totpDigits) {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	step := at.Unix() / totpPeriod
	var found int64
	for _, s := range []int64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0).UTC(), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			found = s
		}
	}
	return found, found != 0
}

// recoveryPurpose keys the digests of recovery codes (a subkey of
// SECRET_KEY of their own).
const recoveryPurpose = "mfa.recovery_code"

// recoveryEncoding spells recovery codes in lower-case base32 without
// padding: no 0/1/8/9 to confuse with O/I/B/g.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// RecoveryCodes implements mfaport.RecoveryCodeDigests: codes of 50 random
// bits ("xxxxx-xxxxx", base32), digests an HMAC-SHA256 under a subkey of
// SECRET_KEY (the platform Signer), so a copy of the table cannot be
// searched offline without the key, and a retired SECRET_KEY still
// matches the codes it digested.
type RecoveryCodes struct{ Signer platformport.Signer }

var _ mfaport.RecoveryCodeDigests = RecoveryCodes{}

// New implements mfaport.RecoveryCodeDigests.
func (r RecoveryCodes) New() (string, mfa.CodeDigest, error) {
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", mfa.CodeDigest{}, fmt.Errorf("read random bytes: %w", err)
	}
	raw := strings.ToLower(recoveryEncoding.EncodeToString(b[:]))[:10]
	d, err := mfa.NewCodeDigest(r.Signer.Sign(recoveryPurpose, []byte(raw)))
	if err != nil {
		return "", mfa.CodeDigest{}, err
	}
	return raw[:5] + "-" + raw[5:], d, nil
}

// Match implements mfaport.RecoveryCodeDigests.
func (r RecoveryCodes) Match(code string, d mfa.CodeDigest) bool {
	norm := strings.Map(func(c rune) rune {
		switch {
		case c == '-' || c == ' ':
			return -1
		case c >= 'A' && c <= 'Z':
			return c + 'a' - 'A'
		}
		return c
	}, code)
	if len(norm) != 10 {
		return false
	}
	return r.Signer.Verify(recoveryPurpose, []byte(norm), d.String()) == nil
}

// MFAChallenges makes login challenge tokens: 32 bytes from crypto/rand in
// unpadded URL-safe base64, stored only as their SHA-256.
type MFAChallenges struct{}

var _ mfaport.ChallengeTokens = MFAChallenges{}

// New implements mfaport.ChallengeTokens.
func (MFAChallenges) New() (string, mfa.ChallengeHash, error) {
	token, err := randomToken()
	if err != nil {
		return "", mfa.ChallengeHash{}, err
	}
	return token, MFAChallenges{}.Hash(token), nil
}

// Hash implements mfaport.ChallengeTokens.
func (MFAChallenges) Hash(token string) mfa.ChallengeHash {
	return digestAs(token, mfa.NewChallengeHash)
}
