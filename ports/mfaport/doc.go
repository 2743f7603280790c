// Package mfaport declares the mfa context's ports: in.go the use-case API
// of factors, recovery codes, the second step of sign-in and the step-up
// check other contexts ask before a sensitive change; out.go its stores and
// what it asks of the keyring, the code and digest makers, identity,
// sessions and the mail outbox. It imports only the standard library,
// domain packages and other ports.
package mfaport
