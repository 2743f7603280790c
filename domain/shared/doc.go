// Package shared holds the few values every bounded context speaks: the error
// taxonomy, typed identifiers and request metadata carried through a context.
//
// It sits at the centre of the hexagon and imports only the standard library
// and google/uuid; nothing here performs I/O.
package shared
