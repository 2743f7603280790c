// Package shared holds the few values every bounded context speaks: the error
// taxonomy, typed identifiers, the canonical Email, the invisible-text rule
// and request metadata carried through a context.
//
// It sits at the centre of the hexagon and imports only the standard library,
// google/uuid and, for the canonical Email alone, golang.org/x/text/unicode/norm
// and golang.org/x/net/idna (NFC and the ASCII form of a domain, which the
// standard library lacks); nothing here performs I/O.
package shared
