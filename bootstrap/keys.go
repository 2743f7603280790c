package bootstrap

import (
	"fmt"
	"strings"

	"github.com/secuird/authy/adapters/security"
)

// The server's keys, built from the configuration:
//   - SECRET_KEY (+ SECRET_KEYS_PREVIOUS) keys the Signer: CSRF tokens and
//     signed links, one HKDF subkey per purpose;
//   - ENCRYPTION_KEY (+ ENCRYPTION_KEYS_PREVIOUS) is the key-encryption
//     keyring for secrets at rest (signing keys, identity-provider secrets);
//   - CA_ENCRYPTION_KEY (+ CA_ENCRYPTION_KEYS_PREVIOUS) is a separate keyring
//     for the certificate authority's private keys.
//
// Outside production an unset key is replaced by a fixed development key
// derived from the variable's name, so a development database stays
// readable across restarts; it is public, hence insecure, and production
// refuses to start without SECRET_KEY and ENCRYPTION_KEY. In production an
// unset CA_ENCRYPTION_KEY leaves the CA keyring absent until a feature
// needs it.
type keySet struct {
	signer     *security.Signer
	encryption *security.Keyring
	ca         *security.Keyring // nil when CA_ENCRYPTION_KEY is unset in production
	// development names the variables replaced by a development key.
	development []string
}

// The keyring names: part of the key derivation, so never change them.
const (
	keyringEncryption = "encryption"
	keyringCA         = "ca"
)

func developmentKey(variable string) string {
	return "authy insecure development key for " + variable
}

func buildKeys(cfg Config) (keySet, error) {
	var ks keySet
	pick := func(variable, value string) string {
		if value == "" && !cfg.Production() {
			ks.development = append(ks.development, variable)
			return developmentKey(variable)
		}
		return value
	}
	var err error
	ks.signer, err = security.NewSigner(pick("SECRET_KEY", cfg.SecretKey), keyList(cfg.SecretKeysPrevious)...)
	if err != nil {
		return keySet{}, fmt.Errorf("SECRET_KEY: %w", err)
	}
	ks.encryption, err = security.NewKeyring(keyringEncryption, pick("ENCRYPTION_KEY", cfg.EncryptionKey), keyList(cfg.EncryptionKeysPrevious)...)
	if err != nil {
		return keySet{}, fmt.Errorf("ENCRYPTION_KEY: %w", err)
	}
	if ca := pick("CA_ENCRYPTION_KEY", cfg.CAEncryptionKey); ca != "" {
		ks.ca, err = security.NewKeyring(keyringCA, ca, keyList(cfg.CAEncryptionKeysPrevious)...)
		if err != nil {
			return keySet{}, fmt.Errorf("CA_ENCRYPTION_KEY: %w", err)
		}
	}
	return ks, nil
}

// buildKeys puts the keys on the App for the contexts that sign or seal.
func (a *App) buildKeys() error {
	ks, err := buildKeys(a.cfg)
	if err != nil {
		return err
	}
	a.signer = ks.signer
	a.keyring = ks.encryption
	if ks.ca != nil {
		a.caKeyring = ks.ca
	}
	if len(ks.development) > 0 {
		a.log.Warn(strings.Join(ks.development, ", ") + " not set; using insecure development keys (refused in production)")
	}
	return nil
}

// keyList is a comma-separated list of keys as configured, without the
// spaces around each key and without empty entries (a trailing comma).
func keyList(list []string) []string {
	var keys []string
	for _, k := range list {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// validateKeyRotation checks the retired-key lists in every environment:
// they are only set on purpose, so a short entry is a mistake (often a key
// containing a comma, which splits it).
func (c Config) validateKeyRotation() []string {
	var problems []string
	for _, v := range []struct {
		previous, current string
		value             string
		list              []string
	}{
		{"SECRET_KEYS_PREVIOUS", "SECRET_KEY", c.SecretKey, c.SecretKeysPrevious},
		{"ENCRYPTION_KEYS_PREVIOUS", "ENCRYPTION_KEY", c.EncryptionKey, c.EncryptionKeysPrevious},
		{"CA_ENCRYPTION_KEYS_PREVIOUS", "CA_ENCRYPTION_KEY", c.CAEncryptionKey, c.CAEncryptionKeysPrevious},
	} {
		keys := keyList(v.list)
		if len(keys) > 0 && v.value == "" {
			problems = append(problems, fmt.Sprintf("%s is set but %s is not: set the new key as %s and keep the old ones in %s", v.previous, v.current, v.current, v.previous))
		}
		for i, k := range keys {
			if len(k) < minKeyBytes {
				problems = append(problems, fmt.Sprintf("%s: key %d is shorter than %d bytes (keys are comma-separated and cannot contain commas)", v.previous, i+1, minKeyBytes))
			}
		}
	}
	return problems
}
