// Package contact is the domain of the public contact form: the Enquiry a
// visitor submits. The notification mail that tells the team about it is the
// mail context's.
//
// It sits at the centre of the hexagon and imports only the standard library,
// google/uuid and domain/shared. It never reads the clock or generates ids:
// both come in as arguments, so every rule here is deterministic.
package contact
