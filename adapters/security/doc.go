// Package security holds the outbound adapters that do cryptographic work:
// the argon2id password hasher (which also verifies legacy bcrypt hashes
// imported from Authy2), the common-password policy, and the generation of
// bearer tokens for sessions and link tokens for invitations, the AES-256-GCM
// key-encryption keyring and the HMAC signer (platformport.Keyring and
// Signer, keyed through the standard library's crypto/hkdf). It implements ports (identityport.PasswordHasher,
// identityport.PasswordPolicy, …) and imports only ports, domain packages,
// the standard library and its crypto libraries (alexedwards/argon2id,
// golang.org/x/crypto/bcrypt); never application/ or bootstrap.
//
// The common-password list (common_passwords.txt) is derived from the
// "passwords" dictionary of the npm package @zxcvbn-ts/language-common
// 4.1.3 (src/passwords.json, MIT licence, copyright 2012-2016 Dan Wheeler
// and Dropbox, Inc. and 2021 @zxcvbn-ts; the licence text is shipped as
// common_passwords_LICENSE.txt). That dictionary is zxcvbn's frequency-ranked
// list of the most common passwords in leaked password corpora. Of its
// 49,233 entries, the 17,950 of 8 to 128 characters are kept, lower-cased
// and de-duplicated, in their original frequency order: shorter ones are
// already refused by the length rule.
package security
